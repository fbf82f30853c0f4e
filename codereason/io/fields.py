"""Taking typed values out of input records: each helper returns the value or raises :class:`BadRecord`.

The message of a :class:`BadRecord` names the field and what was wrong
(``field 'code' must be a list of strings, got string``); the reader adds the
file and line. Nothing is stringified or truncated: a value of another type is
refused, never turned into the type wanted.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from codereason.records import FIELD_TYPES, _type_name


class BadRecord(Exception):
    """One input record cannot be read; the message says why (the reader adds file and line)."""


def have(record: dict) -> str:
    """The record's field names, for 'missing field' messages."""
    return ", ".join(sorted(map(str, record))) or "(none)"


def missing(record: dict, name: str) -> BadRecord:
    return BadRecord(f"missing field {name!r} (have: {have(record)})")


def wrong_type(name: str, wanted: str, value: Any) -> BadRecord:
    shown = f" {value!r}" if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40) else ""
    return BadRecord(f"field {name!r} must be {wanted}, got {_type_name(value)}{shown}")


def text(record: dict, name: str, *, required: bool = True, default: str | None = None) -> str | None:
    """A string field; missing or null gives ``default`` unless ``required``."""
    value = record.get(name)
    if value is None:
        if required:
            raise missing(record, name)
        return default
    if not isinstance(value, str):
        raise wrong_type(name, "a string", value)
    return value


def first_text(record: dict, names: Iterable[str], default: str = "") -> str:
    """The first of ``names`` that is present and not null, as a string (``default`` when none is)."""
    for name in names:
        if record.get(name) is not None:
            return text(record, name)
    return default


def ident(record: dict, name: str, default: str | None = None) -> str:
    """A problem id: a string, or a whole number written as text; missing gives ``default`` (else refused)."""
    value = record.get(name)
    if value is None:
        if default is None:
            raise missing(record, name)
        return default
    return id_text(name, value)


def id_text(name: str, value: Any) -> str:
    """An id value as text: strings as they are, whole numbers in decimal; any other type refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    raise wrong_type(name, "a string or a whole number", value)


def whole(record: dict, name: str, default: int | None = None) -> int | None:
    """A whole-number field (``3`` or ``3.0``); missing or null gives ``default``."""
    value = record.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)
                                                                  and value.is_integer())):
        raise wrong_type(name, "a whole number", value)
    return int(value)


def score(name: str, value: Any) -> float | None:
    """A stored correctness score: a number or a boolean (true = 1.0), or null."""
    if value is None:
        return None
    if isinstance(value, (bool, int, float)) and math.isfinite(value):
        return float(value)
    raise wrong_type(name, "a number or true/false", value)


def gold(name: str, value: Any) -> str | None:
    """A gold answer as text: a string, a number (``5`` -> ``"5"``), or a list of them (joined by ``, ``)."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [gold(f"{name}[{i}]", item) for i, item in enumerate(value)]
        if any(part is None for part in parts) or not parts:
            raise wrong_type(name, "a string, a number or a non-empty list of them", value)
        return ", ".join(parts)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise wrong_type(name, "a string, a number or a list of them", value)


def texts(record: dict, name: str) -> list[str]:
    """A non-empty list of strings (the responses of a record holding several)."""
    value = record.get(name)
    if value is None:
        raise missing(record, name)
    if not isinstance(value, list):
        raise wrong_type(name, "a list of strings", value)
    if not value:
        raise BadRecord(f"field {name!r} is an empty list: the record holds no response")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise wrong_type(f"{name}[{i}]", "a string", item)
    return value


def per_response(record: dict, name: str, n: int) -> list | None:
    """A list field with one entry per response (harness ``score``, ``pred``), or None when absent.

    Raises:
        BadRecord: the field is not a list, or its length is not ``n``.
    """
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n:
        count = f"{len(value)} entries" if isinstance(value, list) else _type_name(value)
        raise BadRecord(f"field {name!r} must be a list of one entry per response ({n}), got {count}")
    return value


def extras(record: dict, used: Iterable[str], expanded: dict[str, list] | None = None, index: int = 0,
           rename: Iterable[str] = FIELD_TYPES) -> dict:
    """The record's other fields, kept in the output: under their own name, or ``source_<name>`` when the
    name is a record field (harness ``pred`` is not the grader's ``pred``). Lists in ``expanded``
    (one entry per response) give response ``index``'s entry."""
    used, rename = set(used), set(rename)
    kept = {}
    for name, value in record.items():
        if name in used:
            continue
        if expanded and name in expanded:
            value = expanded[name][index]
        kept[f"source_{name}" if name in rename or name.startswith("source_") else name] = value
    return kept
