"""Any JSONL/CSV/Parquet file: the response at ``text_field``, other fields by path or by name.

Field options take a path (:mod:`codereason.io.paths`): ``resps[0][0]``,
``messages[-1].content``, ``doc.answer``. A response path whose value is a list
of strings gives one response per element (``sample_idx`` = its index); any
other non-string value is refused with file, line and field. Without an option,
a column named like a record field (``gold``, ``prompt``, ``step``,
``benchmark``, ``model``, ``checkpoint``, ``stored_score``) fills it; any other
column named like a record field (``problem_id``, ``response``, ``pred``,
``correct``...) is kept as ``source_<name>``, every other field as it is.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from codereason.io.fields import BadRecord, extras, gold, id_text, score, wrong_type
from codereason.io.paths import MISSING, lookup, parse_path, require, show_path
from codereason.io.sources import Context, each_record, iter_records

# Rollout fields a generic record may hold under their own name, and the option that names another field.
BY_NAME = ("gold", "prompt", "checkpoint", "step", "benchmark", "model", "stored_score")
OPTION_OF = {"gold": "gold_field", "step": "step_field", "benchmark": "benchmark_field"}


def read_generic(context: Context) -> Iterator[dict]:
    paths = {name: (text, parse_path(text, "--" + name.replace("_", "-")))
             for name, text in context.fields.items() if text}
    seen: Counter[str] = Counter()

    def rows(context: Context, number: int, record: dict) -> list[dict]:
        return _rows(context, number, record, paths, seen)

    return each_record(context, iter_records(context), rows)


def _rows(context: Context, number: int, record: dict, paths: dict, seen: Counter) -> list[dict]:
    text_name, text_steps = paths["text_field"]
    responses = _responses(require(record, text_name, text_steps), text_name)
    problem_id = id_text(paths["id_field"][0], require(record, *paths["id_field"])) if "id_field" in paths \
        else str(number)
    fields = {name: _by_name(record, name, paths) for name in BY_NAME}
    used = {text_steps[0]} if len(text_steps) == 1 or responses[1] else set()
    kept = extras(record, used | {n for n in BY_NAME if OPTION_OF.get(n) not in paths and n in record})
    out = []
    for index, response in enumerate(responses[0]):
        sample_idx = seen[problem_id] if "id_field" in paths else index
        seen[problem_id] += 1
        row = context.base_row(number, **{k: v for k, v in fields.items() if v is not None or k not in
                                          ("checkpoint", "step", "benchmark", "model")})
        row.update(problem_id=problem_id, sample_idx=sample_idx, response=response, prompt=row.get("prompt") or "")
        if responses[1]:
            row["provenance"]["sample"] = index
        row.update(kept)
        out.append(row)
    return out


def _responses(value: Any, name: str) -> tuple[list[str], bool]:
    """(the responses, True when they came from a list)."""
    if isinstance(value, str):
        return [value], False
    if isinstance(value, list):
        if not value:
            raise BadRecord(f"field {name!r} is an empty list: the record holds no response")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                hint = f" (name a string inside it with a path, e.g. {name}[{i}][0])" if isinstance(item, list) \
                    else f" (name a string inside it with a path, e.g. {name}[{i}].content)" if isinstance(item, dict) \
                    else ""
                raise BadRecord(f"field '{name}[{i}]' must be a string, got {type(item).__name__}{hint}")
        return list(value), True
    hint = f" (name a string inside it with a path, e.g. {name}.text)" if isinstance(value, dict) else ""
    raise BadRecord(str(wrong_type(name, "a string or a list of strings", value)) + hint)


def _by_name(record: dict, name: str, paths: dict) -> Any:
    """A Rollout field from its option's path, else from a column of the same name, else None."""
    option = OPTION_OF.get(name)
    if option in paths:
        text, steps = paths[option]
        value = require(record, text, steps)
        return gold(text, value) if name == "gold" else _typed(name, text, value)
    value = record.get(name)
    if value is None:
        return None
    return gold(name, value) if name == "gold" else score(name, value) if name == "stored_score" \
        else _typed(name, name, value)


def _typed(name: str, shown: str, value: Any) -> Any:
    from codereason.records import check_value

    problem = check_value(name, value)
    if problem:
        raise BadRecord(problem.replace(f"field {name!r}", f"field {shown!r}", 1))
    return value


__all__ = ["read_generic", "show_path", "MISSING", "lookup"]
