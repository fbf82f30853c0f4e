"""Field paths into nested records: ``resps[0][0]``, ``messages[-1].content``, ``doc.answer``.

A path is names joined by ``.`` and list indices in ``[]`` (negative ones count
from the end). A name holding a dot or a bracket is written ``["a.b"]``. A field
whose whole name equals the path is taken first, so ``--text-field doc.answer``
also finds a flat column named ``doc.answer``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from codereason.errors import ConfigError
from codereason.io.fields import BadRecord, have

# One step of a path: .name, name (at the start), [index] or ["quoted name"].
_BRACKETS = r"""|\[(?P<index>-?\d+)\]|\[(?P<quoted>"(?:[^"\\]|\\.)*")\]"""
_FIRST = re.compile(r"(?P<name>[^.\[\]]+)" + _BRACKETS)
_STEP = re.compile(r"\.(?P<name>[^.\[\]]+)" + _BRACKETS)

Path = tuple  # of str (keys) and int (list indices)


def parse_path(text: str, option: str = "--text-field") -> Path:
    """The steps of a field path.

    >>> parse_path("resps[0][0]")
    ('resps', 0, 0)
    >>> parse_path("messages[-1].content")
    ('messages', -1, 'content')
    >>> parse_path('doc["a.b"]')
    ('doc', 'a.b')

    Raises:
        ConfigError: the text is not a path (``option`` names the option in the message).
    """
    steps, position = [], 0
    while position < len(text):
        match = (_FIRST if position == 0 else _STEP).match(text, position)
        if not match:
            raise ConfigError(f"{option} {text!r} is not a field path (names joined by '.', list indices in [], "
                              f"e.g. resps[0][0] or messages[-1].content); stuck at column {position + 1}")
        if match.group("index") is not None:
            steps.append(int(match.group("index")))
        elif match.group("quoted") is not None:
            steps.append(json.loads(match.group("quoted")))
        else:
            steps.append(match.group("name"))
        position = match.end()
    if not steps or not isinstance(steps[0], str):
        raise ConfigError(f"{option} {text!r} must start with a field name")
    return tuple(steps)


def show_path(steps: Path) -> str:
    """The path as text (``('resps', 0, 0)`` -> ``resps[0][0]``)."""
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[^.\[\]\"]+", step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out


_MISSING = object()


def lookup(record: dict, text: str, steps: Path) -> Any:
    """The value at a path, or :data:`MISSING` when a step is absent.

    Raises:
        BadRecord: a step indexes into a value of the wrong kind (a key into a list...).
    """
    if text in record:
        return record[text]
    value: Any = record
    for i, step in enumerate(steps):
        where = show_path(steps[:i]) or "the record"
        if isinstance(step, int):
            if not isinstance(value, list):
                raise BadRecord(f"field {where!r} must be a list to take [{step}] of it ({text}), got "
                                f"{type(value).__name__}")
            if not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, dict):
                raise BadRecord(f"field {where!r} must be an object to take .{step} of it ({text}), got "
                                f"{type(value).__name__}")
            if step not in value:
                return _MISSING
            value = value[step]
    return value


def require(record: dict, text: str, steps: Path) -> Any:
    """:func:`lookup`, refusing a path that is absent (or null)."""
    value = lookup(record, text, steps)
    if value is _MISSING or value is None:
        raise BadRecord(f"missing field {text!r} (have: {have(record)})")
    return value


MISSING = _MISSING
