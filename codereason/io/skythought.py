"""SkyThought results JSON (``inference_and_check``): one object keyed by problem.

``{problem_text: {problem, solution, answer, unique_id, prompt, responses: {"<temperature>":
{content, correctness, reason}}, token_usages}}``; a temperature may also hold a
list of such responses (several samples). Read as a stream (``ijson.kvitems``):
one problem at a time. Gold is ``answer``, the stored score ``correctness``,
the problem id ``unique_id`` (else the problem's place in the file, from 0).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from codereason.io.fields import BadRecord, extras, first_text, gold, id_text, score
from codereason.io.sources import Context, each_record, first_line

# SkyThought names its results <model>_<benchmark>_<split>_<source>_<start>_<end>_<prompt style>.json
RESULTS_NAME = re.compile(r"^(?P<model>.+?)_(?P<benchmark>[^_]+)_(?P<split>test|train|validation)_")


def read_skythought(context: Context) -> Iterator[dict]:
    match = RESULTS_NAME.match(context.path.name)
    if match:  # the file name says more than the folder
        context.layout = {**context.layout, "benchmark": match.group("benchmark"), "model": match.group("model"),
                          "checkpoint": match.group("model")}
    return each_record(context, _problems(context), _rows, where=lambda number: (None, f"problem {number}: "))


def _problems(context: Context) -> Iterator[tuple[int, dict, Any]]:
    import ijson

    number = -1
    with open(context.path, "rb") as handle:
        try:
            for number, (key, value) in enumerate(ijson.kvitems(handle, "", use_float=True)):
                if not isinstance(value, dict):
                    context.bad(None, None, f"problem {number}: must be an object, got {type(value).__name__}")
                    continue
                yield number, value, {"key": key[:200]}
        except (ijson.JSONError, UnicodeDecodeError, RecursionError) as exc:
            context.bad(None, None, f"the JSON breaks off or is invalid after problem {number} ({first_line(exc)}); "
                                    "the rest of the file is not read")


def _rows(context: Context, number: int, problem: dict) -> list[dict]:
    responses = problem.get("responses")
    if not isinstance(responses, dict) or not responses:
        raise BadRecord("field 'responses' must be an object of responses by temperature")
    problem_id = id_text("unique_id", problem["unique_id"]) if problem.get("unique_id") is not None else str(number)
    kept = extras(problem, ("responses", "unique_id", "answer", "prompt"))
    rows = []
    for temperature, entries in responses.items():
        for i, entry in enumerate(entries if isinstance(entries, list) else [entries]):
            where = f"responses[{temperature!r}]" + (f"[{i}]" if isinstance(entries, list) else "")
            if not isinstance(entry, dict) or not isinstance(entry.get("content"), str):
                raise BadRecord(f"field {where} must be an object with a string 'content'")
            row = context.base_row(
                number, problem_id=problem_id, sample_idx=len(rows),
                prompt=first_text(problem, ("prompt", "problem")), response=entry["content"],
                gold=gold("answer", problem.get("answer")),
                stored_score=score(f"{where}.correctness", entry.get("correctness")),
            )
            row["provenance"].update(record=number, sample=len(rows))
            row.update(kept, temperature=temperature, **extras(entry, ("content", "correctness")))
            rows.append(row)
    return rows
