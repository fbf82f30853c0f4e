"""Tag a response as code reasoning or natural language.

Modes:

- ``ast`` (default): candidate segments (:mod:`codereason.classifier.segments`) are
  verified with tree-sitter-python (statement kinds, share of bytes in error
  nodes) or, for fences tagged with another language, by that language's syntax.
- ``paper``: the rule of Shao et al. (2025), ``"python" in response.lower()``.
- ``learned``: the shipped learned model (``codereason/classifier/versions/learned-v1/weights.json``,
  loaded once, on first use) decides from the segment features; the evidence
  fields (spans, style, language) are still the ``ast`` ones.

``classify`` accepts any ``str``, never raises on its content, and runs in time
linear in the text (segments are capped at :data:`segments.MAX_SEGMENT_CHARS`).

>>> classify("```python\\nx = 2 + 3\\nprint(x)\\n```").code_reasoning
True
>>> classify("We could use Python, but 2 + 3 = 5.").code_reasoning
False
>>> classify("We could use Python, but 2 + 3 = 5.", mode="paper").code_reasoning
True
"""


from __future__ import annotations

from operator import attrgetter

from codereason.classifier import patterns
from codereason.classifier.segments import MAX_SEGMENTS, Segment, candidate_segments
from codereason.classifier.verify import verify_segment
from codereason.errors import ConfigError
from codereason.records import CodeLabel

MODES = ("ast", "paper", "learned")
RULES_VERSION = "rules-v1"

_START = attrgetter("start")


def load_classifier(mode: str) -> None:
    """Build the parser (and load a learned model) in this process, e.g. once before forking workers."""
    classify("```python\nx = 1\n```", mode)


def classify(text: str, mode: str = "ast") -> CodeLabel:
    """Label one response.

    Args:
        text: the response (any string).
        mode: ``ast`` (segments verified by tree-sitter), ``paper`` or ``learned``.

    Returns:
        A frozen :class:`~codereason.records.CodeLabel`.

    Raises:
        ConfigError: ``mode`` is not one of :data:`MODES`.
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    lowered = text.lower()
    paper_code = "python" in lowered
    fences, outside = candidate_segments(text)
    has_output_block = any(f.tag in patterns.OUTPUT_TAGS for f in fences)
    candidates = sorted((*fences, *outside), key=_START)[:MAX_SEGMENTS]
    code = [(s, lang) for s in candidates if (lang := verify_segment(text, s))]
    first = code[0] if code else None
    return CodeLabel(
        code_reasoning=paper_code if mode == "paper" else _learned_code(text) if mode == "learned" else bool(code),
        code_style=first[0].style if first else None,
        code_language=first[1] if first else None,
        code_spans=tuple((s.start, s.end) for s, _ in code),
        n_code_lines=sum(_count_lines(text, s) for s, _ in code),
        mentions_python=paper_code,
        has_output_block=has_output_block,
        paper_code=paper_code,
        mode=mode,
    )


def _learned_code(text: str) -> bool:
    """The learned model's verdict (the weights load on the first call only)."""
    from codereason.classifier.learned import default_learned_model

    return default_learned_model().predict_code(text)


def _count_lines(text: str, segment: Segment) -> int:
    """Non-blank lines in a segment."""
    return sum(map(bool, map(str.strip, text[segment.start:segment.end].splitlines())))
