"""Tag a response as code reasoning or natural language.

Modes:

- ``ast`` (default): candidate segments (:mod:`codereason.classifier.segments`) are
  verified by a grammar (:mod:`codereason.classifier.verify`): tree-sitter-python, or
  the tagged (or, for an untagged fence, the hinted) language's tree-sitter grammar,
  or Lean's tactic lines; statement kinds and the share of bytes in error nodes decide.
  Why a fence or run was refused is kept in ``CodeLabel.rejected_as``.
- ``paper``: the rule of Shao et al. (2025), ``"python" in response.lower()``.
- ``learned``: the shipped learned model (``codereason/classifier/versions/learned-v11/weights.json``,
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

from codereason.classifier import patterns
from codereason.classifier.segments import Segment, candidate_segments
from codereason.classifier.verify import Verdict, judge_candidates, response_text
from codereason.errors import ConfigError
from codereason.records import CodeLabel

MODES = ("ast", "paper", "learned")
RULES_VERSION = "rules-v12"
# At most this many refusals are kept in ``CodeLabel.rejected_as``.
MAX_REJECTIONS = 8



def load_classifier(mode: str) -> None:
    """Build the parser (and load a learned model) in this process, e.g. once before forking workers."""
    classify("```python\nx = 1\n```", mode)


def classify(text: str, mode: str = "ast") -> CodeLabel:
    """Label one response.

    Args:
        text: the response (any string; None is an empty response).
        mode: ``ast`` (segments verified by tree-sitter), ``paper`` or ``learned``.

    Returns:
        A frozen :class:`~codereason.records.CodeLabel`.

    Raises:
        ConfigError: ``mode`` is not one of :data:`MODES`.
        TypeError: ``text`` is neither a str nor None (:func:`response_text`).
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    text = response_text(text)
    lowered = text.lower()
    paper_code = "python" in lowered
    fences, outside = candidate_segments(text)
    has_output_block = any(f.tag in patterns.OUTPUT_TAGS for f in fences)
    code, rejected = _code_and_refusals(judge_candidates(text, fences, outside))
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
        rejected_as="; ".join(rejected[:MAX_REJECTIONS]) or None,
    )


def _code_and_refusals(judged: list[tuple[Segment, Verdict]]) -> tuple[list[tuple[Segment, str]], list[str]]:
    """Accepted segments with their language, and why each refused fence or run was refused."""
    code = [(segment, verdict.language) for segment, verdict in judged if verdict.language]
    rejected = [f"{segment.start}-{segment.end} {verdict.reason}" for segment, verdict in judged
                if not verdict.language and verdict.reason and segment.style != "inline"]
    return code, rejected


def _learned_code(text: str) -> bool:
    """The learned model's verdict (the weights load on the first call only)."""
    from codereason.classifier.learned import default_learned_model

    return default_learned_model().predict_code(text)


def _count_lines(text: str, segment: Segment) -> int:
    """Non-blank lines in a segment."""
    return sum(map(bool, map(str.strip, text[segment.start:segment.end].splitlines())))
