"""Our own files (``codereason`` format): the :class:`~codereason.records.Rollout` fields, one row a response.

Every field is checked against the record schema (labels and grades too, when
present); ``provenance`` is an object, or a JSON string of one (Parquet).
"""

from __future__ import annotations

from typing import Iterator

from codereason.io.fields import BadRecord, ident, missing
from codereason.io.sources import Context, each_record, iter_records, parse_json
from codereason.records import SCHEMA_VERSION


def read_codereason(context: Context) -> Iterator[dict]:
    return each_record(context, iter_records(context), _row)


def _row(context: Context, number: int, record: dict) -> list[dict]:
    for name in ("problem_id", "sample_idx", "response"):
        if record.get(name) is None:
            raise missing(record, name)
    row = context.base_row(number, **{"prompt": "", **record})
    row["problem_id"] = ident(record, "problem_id")
    row["provenance"] = _provenance(record.get("provenance"))
    if row.get("schema_version") is None:
        row["schema_version"] = SCHEMA_VERSION
    return [row]


def _provenance(value) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = parse_json(value)
        except BadRecord as exc:
            raise BadRecord(f"field 'provenance' is a string that is {exc}") from None
    if not isinstance(value, dict):
        raise BadRecord("field 'provenance' must be a JSON object (or a JSON string of one)")
    return value
