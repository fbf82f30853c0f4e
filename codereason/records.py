"""Plain records with an explicit schema: the rows every stage reads and writes.

A rollout file holds one JSON object per response. Its fields are those of
:class:`Rollout`, optionally followed by those of :class:`CodeLabel` (added by
``codereason tag``) and :class:`Grade` (added by ``codereason grade``). The key
of a response is ``(checkpoint, problem_id, sample_idx)``: a field, never parsed
out of a file name.
"""

from __future__ import annotations

import dataclasses
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
