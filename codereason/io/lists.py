"""Rows a generic shape names for us: chat messages, and lists of generations.

Chat-messages JSONL (OpenAI style ``messages: [{role, content}]``): the last
assistant turn is the response, the user turn before it the prompt. Rows of
generations (OpenR1-Math style ``problem, answer, generations[],
correctness_math_verify[]``), JSONL or Parquet: one response per generation,
``sample_idx`` its index, the stored score from ``correctness_math_verify``.
Gold is ``answer`` (or ``gold``), the problem id ``uuid`` / ``problem_id`` /
``id`` / ``idx`` when present, else the record number.
"""

from __future__ import annotations

from typing import Iterator

from codereason.io.fields import BadRecord, extras, first_text, gold, ident, per_response, score, texts
from codereason.io.sources import Context, each_record, iter_records

ID_FIELDS = ("uuid", "problem_id", "id", "idx")
GOLD_FIELDS = ("answer", "gold", "ground_truth")
# Lists with one entry per generation (OpenR1-Math): each response gets its own entry.
PER_GENERATION = ("correctness_math_verify", "correctness_llama", "finish_reasons", "is_reasoning_complete")


def _problem_id(record: dict, number: int) -> tuple[str, str | None]:
    for name in ID_FIELDS:
        if record.get(name) is not None:
            return ident(record, name), name
    return str(number), None


def _gold(record: dict) -> tuple[str | None, str | None]:
    for name in GOLD_FIELDS:
        if record.get(name) is not None:
            return gold(name, record[name]), name
    return None, None


def read_chat(context: Context) -> Iterator[dict]:
    return each_record(context, iter_records(context), _chat_row)


def _chat_row(context: Context, number: int, record: dict) -> list[dict]:
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRecord("field 'messages' must be a non-empty list of {role, content} objects")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRecord(f"field 'messages[{i}]' must be an object with a string 'role'")
        if not isinstance(message.get("content"), str):
            raise BadRecord(f"field 'messages[{i}].content' must be a string, got "
                            f"{type(message.get('content')).__name__}")
    answers = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    if not answers:
        raise BadRecord("field 'messages' holds no assistant turn (the response)")
    last = answers[-1]
    users = [m["content"] for m in messages[:last] if m["role"] == "user"]
    problem_id, id_name = _problem_id(record, number)
    gold_text, gold_name = _gold(record)
    row = context.base_row(number, problem_id=problem_id, sample_idx=0, prompt=users[-1] if users else "",
                           response=messages[last]["content"], gold=gold_text)
    row.update(extras(record, ("messages", id_name, gold_name)), messages_before=messages[:last])
    return [row]


def read_generations(context: Context) -> Iterator[dict]:
    return each_record(context, iter_records(context), _generation_rows)


def _generation_rows(context: Context, number: int, record: dict) -> list[dict]:
    responses = texts(record, "generations")
    lists = {name: value for name in PER_GENERATION
             if (value := per_response(record, name, len(responses))) is not None}
    problem_id, id_name = _problem_id(record, number)
    gold_text, gold_name = _gold(record)
    prompt = first_text(record, ("problem", "question", "prompt"))
    rows = []
    for sample_idx, response in enumerate(responses):
        verified = lists.get("correctness_math_verify")
        row = context.base_row(
            number, problem_id=problem_id, sample_idx=sample_idx, prompt=prompt, response=response, gold=gold_text,
            stored_score=score(f"correctness_math_verify[{sample_idx}]", verified[sample_idx]) if verified else None,
        )
        row["provenance"]["sample"] = sample_idx
        row.update(extras(record, ("generations", id_name, gold_name), lists, sample_idx))
        rows.append(row)
    return rows
