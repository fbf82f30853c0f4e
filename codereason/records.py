"""Plain records with an explicit schema: the rows every stage reads and writes.

A rollout file holds one JSON object per response. Its fields are those of
:class:`Rollout`, optionally followed by those of :class:`CodeLabel` (added by
``codereason tag``) and :class:`Grade` (added by ``codereason grade``). The key
of a response is ``(checkpoint, problem_id, sample_idx)``: a field, never parsed
out of a file name.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping

SCHEMA_VERSION = 1

CODE_STYLES = ("fenced", "unfenced", "inline")
GRADE_STATUSES = ("ok", "no_answer", "parse_error", "timeout")


@dataclass(frozen=True)
class Rollout:
    """One model response to one problem.

    Attributes:
        problem_id: the problem's id within its benchmark (string, stable).
        sample_idx: 0-based index of this sample among the problem's samples.
        prompt: the prompt as sent to the model (may be the bare question).
        response: the model's completion text.
        gold: the reference answer, or None when unknown.
        checkpoint: the model or checkpoint name (``base``, ``step50``, a path).
        step: the training step (0 for the base model), or None when unknown.
        benchmark: the benchmark name (``MATH-500``), or None.
        model: the model identifier the checkpoint belongs to, or None.
        stored_score: a correctness score the source already carried (verl
            ``score``, harness ``score[]``, training ``answer_reward``), or None.
        provenance: where the record came from (source file, line, generator
            settings); free-form, JSON-serialisable.
    """

    problem_id: str
    sample_idx: int
    prompt: str
    response: str
    gold: str | None = None
    checkpoint: str | None = None
    step: int | None = None
    benchmark: str | None = None
    model: str | None = None
    stored_score: float | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    @property
    def key(self) -> tuple[str | None, str, int]:
        """The unique key ``(checkpoint, problem_id, sample_idx)``."""
        return (self.checkpoint, self.problem_id, self.sample_idx)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with every field."""
        row = dataclasses.asdict(self)
        row["provenance"] = dict(self.provenance)
        return row


@dataclass(frozen=True)
class CodeLabel:
    """The classifier's verdict on one response.

    Attributes:
        code_reasoning: True when the response contains program source code.
        code_style: ``fenced``, ``unfenced`` or ``inline`` (the first code
            segment's style), or None when there is no code.
        code_language: ``python``, ``cpp``, ... or None when there is no code.
        code_spans: character offsets ``(start, end)`` of each code segment.
        n_code_lines: number of non-blank lines inside code segments.
        mentions_python: the word "python" occurs (any case).
        has_output_block: the response holds an ```output block, real or invented.
        paper_code: the paper's rule, ``"python" in response.lower()``.
        mode: the mode that set ``code_reasoning`` (``ast``, ``paper``, ``learned``).
        rejected_as: why candidate fences and unfenced runs were refused, one
            ``start-end reason`` per segment joined by ``; `` (e.g. ``12-80 fence tagged
            'isinstance': python: 0 statements, 91% of bytes in errors; cpp: ...``), at most
            eight; None when nothing was refused.
    """

    code_reasoning: bool
    code_style: str | None
    code_language: str | None
    code_spans: tuple[tuple[int, int], ...]
    n_code_lines: int
    mentions_python: bool
    has_output_block: bool
    paper_code: bool
    mode: str = "ast"
    rejected_as: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; spans become lists of two ints."""
        row = dict(self.__dict__)  # the fields, in declaration order (asdict deep-copies: 10x slower)
        row["code_spans"] = [list(span) for span in self.code_spans]
        return row


@dataclass(frozen=True)
class Grade:
    """The grader's verdict on one response.

    Attributes:
        correct: True/False, or None when the status is not ``ok``.
        pred: the extracted final answer, or None.
        has_boxed: the response holds a ``\\boxed{...}``.
        grade_status: ``ok``, ``no_answer``, ``parse_error`` or ``timeout``.
    """

    correct: bool | None
    pred: str | None
    has_boxed: bool
    grade_status: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)


ROLLOUT_FIELDS = tuple(f.name for f in dataclasses.fields(Rollout))
LABEL_FIELDS = tuple(f.name for f in dataclasses.fields(CodeLabel))
GRADE_FIELDS = tuple(f.name for f in dataclasses.fields(Grade))


# ------------------------------------------------------------------------ field types
# What every reader checks and every writer writes: one entry per field of the
# three records, derived from their annotations (so a new field needs no second list).

CHOICES: dict[str, tuple[str, ...]] = {"code_style": CODE_STYLES, "grade_status": GRADE_STATUSES}


@dataclass(frozen=True)
class FieldType:
    """The type of one record field.

    Attributes:
        name: the field name.
        kind: ``str``, ``int``, ``float``, ``bool``, ``spans`` (pairs of ints) or
            ``mapping`` (a JSON object; a JSON string of one in Parquet/CSV).
        nullable: None is allowed (always, for the fields of :class:`CodeLabel` and :class:`Grade`).
        choices: the allowed values of a ``str`` field, or None for any.
    """

    name: str
    kind: str
    nullable: bool
    choices: tuple[str, ...] | None = None


def _kind_of(hint: Any) -> tuple[str, bool]:
    """(kind, nullable) of a field annotation: ``str | None`` -> ("str", True)."""
    args = typing.get_args(hint)
    if type(hint) is types.UnionType or typing.get_origin(hint) is typing.Union:
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _kind_of(inner)[0], True
    if hint in (str, int, float, bool):
        return hint.__name__, False
    if typing.get_origin(hint) is tuple:
        return "spans", False
    return "mapping", False


def _field_types(*classes: type) -> dict[str, FieldType]:
    table = {}
    for cls in classes:
        for name, hint in typing.get_type_hints(cls).items():
            kind, nullable = _kind_of(hint)
            # label and grade fields may be null: a row not (yet) tagged or graded
            table[name] = FieldType(name, kind, nullable or cls is not Rollout, CHOICES.get(name))
    return table


FIELD_TYPES: dict[str, FieldType] = _field_types(Rollout, CodeLabel, Grade)
"""Every field of :class:`Rollout`, :class:`CodeLabel` and :class:`Grade`, by name."""


def _type_name(value: Any) -> str:
    """How an error names a value's type: JSON's names (string, number, list, object)."""
    names = {str: "string", bool: "boolean", int: "integer", float: "number", list: "list", dict: "object",
             tuple: "list", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _is_whole(value: Any) -> bool:
    """An int, or a float with no fractional part (``3.0``; JSON writers differ on this)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())


def check_value(name: str, value: Any) -> str | None:
    """Why ``value`` does not fit field ``name``, or None when it does (or the field is not a record field).

    >>> check_value("sample_idx", 1.7)
    "field 'sample_idx' must be a whole number, got number 1.7"
    >>> check_value("response", ["a"])
    "field 'response' must be a string, got list"
    >>> check_value("code_style", "boxed")
    "field 'code_style' must be one of 'fenced', 'unfenced', 'inline' or null, got 'boxed'"
    >>> check_value("gold", None) is None
    True
    """
    spec = FIELD_TYPES.get(name)
    if spec is None or (value is None and spec.nullable):
        return None
    if value is None:
        return f"field {name!r} must not be null"
    problem = _KIND_CHECKS[spec.kind](value)
    if problem:
        return f"field {name!r} must be {problem}, got {_type_name(value)}{_shown(value)}"
    if spec.choices and value not in spec.choices:
        allowed = ", ".join(repr(c) for c in spec.choices) + (" or null" if spec.nullable else "")
        return f"field {name!r} must be one of {allowed}, got {value!r}"
    if name == "schema_version" and value != SCHEMA_VERSION:
        return (f"field 'schema_version' is {value}; this codereason reads version {SCHEMA_VERSION} "
                f"(written by {'a newer' if value > SCHEMA_VERSION else 'an older'} codereason)")
    return None


def _shown(value: Any) -> str:
    """The value itself after its type, when short and a scalar."""
    if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40):
        return f" {value!r}"
    return ""


def _spans_problem(value: Any) -> str | None:
    pairs = isinstance(value, (list, tuple)) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(_is_whole(x) for x in p) for p in value)
    return None if pairs else "a list of [start, end] pairs of integers"


_KIND_CHECKS = {
    "str": lambda v: None if isinstance(v, str) else "a string",
    "int": lambda v: None if _is_whole(v) else "a whole number",
    "float": lambda v: None if isinstance(v, (int, float)) and not isinstance(v, bool) else "a number",
    "bool": lambda v: None if isinstance(v, bool) else "true or false",
    "spans": _spans_problem,
    "mapping": lambda v: None if isinstance(v, dict) else "a JSON object",
}


def check_row(row: Mapping[str, Any]) -> str | None:
    """The first record field of ``row`` whose value does not fit its type (as :func:`check_value`), or None."""
    for name, value in row.items():
        problem = check_value(name, value)
        if problem:
            return problem
    return None


def normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with whole-number floats of integer fields made ints (``3.0`` -> 3), in place; run after :func:`check_row`."""
    for name, value in row.items():
        spec = FIELD_TYPES.get(name)
        if spec is not None and isinstance(value, float) and spec.kind == "int":
            row[name] = int(value)
        elif spec is not None and spec.kind == "float" and isinstance(value, int):
            row[name] = float(value)
    return row


def arrow_type(name: str):
    """The Arrow type a writer gives field ``name`` (mappings are JSON strings), or None for other fields."""
    import pyarrow as pa

    spec = FIELD_TYPES.get(name)
    if spec is None:
        return None
    return {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
            "spans": pa.list_(pa.list_(pa.int64())), "mapping": pa.string()}[spec.kind]
