"""Numeric features of a response, for the learned model (no scikit-learn needed)."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from codereason.classifier import patterns
from codereason.classifier.grammars import grammar_evidence
from codereason.classifier.segments import candidate_segments
from codereason.classifier.verify import judge_candidates, prompt_statements, python_evidence, response_text

FEATURE_NAMES = (
    "n_fences", "n_python_fences", "n_other_language_fences", "n_output_fences", "n_untagged_fences",
    "n_unfenced_runs", "n_inline_spans", "n_verified_segments", "max_statements", "min_error_share",
    "max_strong_statements", "rule_code", "n_code_lines_log", "mentions_python", "has_unclosed_fence",
    "length_log",
)


# A response with no fence, unfenced run or inline span has no code to show: the learned model
# decides only among responses with at least one candidate segment (its verdict needs spans).
CANDIDATE_COUNTS = tuple(FEATURE_NAMES.index(n) for n in ("n_fences", "n_unfenced_runs", "n_inline_spans"))


def has_candidate(features: np.ndarray) -> np.ndarray:
    """Per row of a feature matrix: does the response hold at least one candidate segment?"""
    return np.asarray(features, dtype=float).reshape(-1, len(FEATURE_NAMES))[:, CANDIDATE_COUNTS].sum(axis=1) > 0


def response_features(text: str) -> list[float]:
    """One response's feature vector, in :data:`FEATURE_NAMES` order."""
    fences, outside = candidate_segments(text)
    judged = judge_candidates(text, fences, outside)
    # stretches judged whole where no candidate was code (another language, Python prompt lines) count as unfenced runs
    candidates = {id(s) for s in (*fences, *outside)}
    whole = [s for s, _ in judged if id(s) not in candidates]
    evidence = [python_evidence(text[s.start:s.end]) for s in (*fences, *outside) if s.tag not in patterns.OUTPUT_TAGS]
    evidence += [python_evidence("\n".join(prompt_statements(text[s.start:s.end]))) if s.tag == "pycon"
                 else grammar_evidence(text[s.start:s.end], s.tag) for s in whole]
    verified = [s for s, verdict in judged if verdict.language]
    outside = [*outside, *whole]
    n_code_lines = sum(text.count("\n", s.start, s.end) + 1 for s in verified)
    return [
        len(fences),
        sum(f.tag in patterns.PYTHON_TAGS for f in fences),
        sum(f.tag in patterns.OTHER_LANGUAGE_TAGS for f in fences),
        sum(f.tag in patterns.OUTPUT_TAGS for f in fences),
        sum(not f.tag for f in fences),
        sum(s.style == "unfenced" for s in outside),
        sum(s.style == "inline" for s in outside),
        len(verified),
        max((e.n_statements for e in evidence), default=0),
        min((e.error_share for e in evidence), default=1.0),
        max((e.n_strong for e in evidence), default=0),
        float(bool(verified)),
        math.log1p(n_code_lines),
        float("python" in text.lower()),
        float(any(not f.closed for f in fences)),
        math.log1p(len(text)),
    ]


def feature_matrix(texts: Iterable) -> np.ndarray:
    """``(n, len(FEATURE_NAMES))`` floats for texts (``None`` counts as empty)."""
    return np.array([response_features(as_text(t, i)) for i, t in enumerate(texts)],
                    dtype=float).reshape(-1, len(FEATURE_NAMES))


def as_text(value, index: int = 0) -> str:
    """A text of ``X`` (a str, numpy's str_ included, or None for an empty response); anything else is refused.

    Raises:
        TypeError: naming the position of a value that is not a text.
    """
    return response_text(value, f"the classifier's input at position {index}")
