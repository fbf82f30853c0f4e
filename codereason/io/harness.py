"""Qwen2.5-Math / ToRA evaluation harness JSONL: one problem a line, its responses in ``code[]``.

Fields: ``idx, question, gt, code[], pred[], report[], score[]`` (plus ``level``,
``solution``, ``answer``... kept as they are). Lists with one entry per response
(``pred``, ``report``, ``score``) give each response its own entry; the
harness's ``pred`` is kept as ``source_pred`` (``pred`` is the grader's).
"""

from __future__ import annotations

from typing import Iterator

from codereason.io.fields import BadRecord, extras, first_text, gold, ident, per_response, score, texts
from codereason.io.sources import Context, each_record, iter_jsonl

PER_RESPONSE = ("score", "pred", "report")


def read_harness(context: Context) -> Iterator[dict]:
    return each_record(context, iter_jsonl(context), _rows)


def _rows(context: Context, number: int, record: dict) -> list[dict]:
    responses = texts(record, "code")
    lists = {name: value for name in PER_RESPONSE if (value := per_response(record, name, len(responses))) is not None}
    gold_name = "gt" if record.get("gt") is not None else "answer"
    problem_id = ident(record, "idx", default=str(number - 1))
    prompt = first_text(record, ("question", "problem"))
    rows = []
    for sample_idx, response in enumerate(responses):
        stored = lists.get("score", [None] * len(responses))[sample_idx]
        row = context.base_row(
            number, problem_id=problem_id, sample_idx=sample_idx, prompt=prompt, response=response,
            gold=gold(gold_name, record.get(gold_name)), stored_score=score(f"score[{sample_idx}]", stored),
        )
        row["provenance"].update(sample=sample_idx)
        row.update(extras(record, ("code", "idx", "question", "problem", gold_name, "score"), lists, sample_idx))
        rows.append(row)
    return rows


__all__ = ["BadRecord", "read_harness"]
