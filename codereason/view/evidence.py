"""What the classifier and the grader saw in one response, as character ranges to highlight.

The :class:`~codereason.records.CodeLabel` keeps the offsets of the accepted code
segments but not their kind, and nothing of the candidates it turned down. The
page needs both, so :func:`code_evidence` re-runs the candidate scan
(:func:`~codereason.classifier.segments.candidate_segments`) and the judging of
:func:`~codereason.classifier.verify.judge_candidates` (the one that ``classify`` runs:
same order, cap and shared scope), and keeps every verdict.

>>> spans = code_evidence("Run it:\\n```python\\nx = 2 + 3\\nprint(x)\\n```\\n```output\\n5\\n```")
>>> [(s.style, s.tag, s.language, s.rejected) for s in spans]
[('fenced', 'python', 'python', None), ('fenced', 'output', None, 'output block')]
>>> answer_span("so \\\\boxed{5}.", "5")
(3, 12, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from codereason.classifier import patterns
from codereason.classifier.segments import candidate_segments
from codereason.classifier.verify import judge_candidates
from codereason.grade import BOXED_COMMANDS, last_boxed


@dataclass(frozen=True)
class SpanEvidence:
    """One candidate segment and the classifier's verdict on it.

    Attributes:
        start, end: character offsets in the response (the fence body, for a fence).
        style: ``fenced``, ``unfenced`` or ``inline``.
        tag: the fence's language tag ('' when none or not fenced).
        language: the language the classifier accepted it as, or None when rejected.
        rejected: why a fence was turned down (``output block``, ``not program source``),
            or None when accepted.
    """

    start: int
    end: int
    style: str
    tag: str
    language: str | None
    rejected: str | None

    def to_list(self) -> list:
        """Compact form for the page: ``[start, end, style, tag, language, rejected]``."""
        return [self.start, self.end, self.style, self.tag, self.language, self.rejected]


def code_evidence(text: str) -> list[SpanEvidence]:
    """Accepted code segments (any style) and rejected fences, in text order.

    Rejected unfenced and inline candidates are left out: they are ordinary
    prose lines that merely start like code, and marking them would bury the
    evidence. The accepted spans are exactly the ``code_spans`` of
    ``classify(text, "ast")``.
    """
    spans = []
    for segment, verdict in judge_candidates(text, *candidate_segments(text)):
        language = verdict.language
        if language is None and segment.style != "fenced":
            continue
        rejected = None if language else _rejection(segment.tag)
        spans.append(SpanEvidence(segment.start, segment.end, segment.style, segment.tag, language, rejected))
    return spans


def _rejection(tag: str) -> str:
    return "output block" if tag in patterns.OUTPUT_TAGS else "not program source"


def answer_span(text: str, pred: str | None) -> tuple[int, int, bool] | None:
    """``(start, end, boxed)`` of the extracted answer in ``text``: the last complete
    ``\\boxed{...}`` (``boxed`` True), else the last occurrence of ``pred``, an answer
    math-verify found in unboxed text (``boxed`` False), else None."""
    boxed = last_boxed(text)
    if boxed is not None:
        start = max(text.rfind(f"{command}{{{boxed}}}") for command in BOXED_COMMANDS)
        command = next(c for c in BOXED_COMMANDS if text.startswith(c, start))
        return start, start + len(command) + len(boxed) + 2, True
    if pred:
        start = text.rfind(pred)
        if start >= 0:
            return start, start + len(pred), False
    return None


__all__ = ["SpanEvidence", "answer_span", "code_evidence"]
