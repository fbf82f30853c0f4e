"""scikit-learn estimators: the rule classifier and its features, Pipeline-ready.

- :class:`CodeFeatures` is a stateless transformer: texts -> a numeric feature
  matrix built from the rule classifier's segments (fence tags, tree-sitter
  evidence, code-line runs, keyword and output-block flags, lengths).
- :class:`CodeReasoningClassifier` follows the estimator contract: ``__init__``
  only stores parameters, ``fit`` returns ``self``, learned state ends in ``_``,
  ``predict``/``predict_proba``/``transform``, ``get_params``, clone-able.

>>> clf = CodeReasoningClassifier().fit(["x"], [False])
>>> clf.predict(["```python\\nprint(1 + 1)\\n```", "The answer is 2."]).tolist()
[True, False]
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from codereason import patterns
from codereason.classify import MODES, classify, python_evidence, verify_segment
from codereason.errors import ConfigError
from codereason.segments import candidate_segments

FEATURE_NAMES = (
    "n_fences", "n_python_fences", "n_other_language_fences", "n_output_fences", "n_untagged_fences",
    "n_unfenced_runs", "n_inline_spans", "n_verified_segments", "max_statements", "min_error_share",
    "max_strong_statements", "rule_code", "n_code_lines_log", "mentions_python", "has_unclosed_fence",
    "length_log",
)
ESTIMATOR_MODES = (*MODES, "learned")


def response_features(text: str) -> list[float]:
    """One response's feature vector, in :data:`FEATURE_NAMES` order."""
    fences, outside = candidate_segments(text)
    segments = [*fences, *outside]
    evidence = [python_evidence(text[s.start:s.end]) for s in segments if s.tag not in patterns.OUTPUT_TAGS]
    verified = [s for s in segments if verify_segment(text, s)]
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


class CodeFeatures(TransformerMixin, BaseEstimator):
    """Stateless transformer: an iterable of texts -> ``(n, len(FEATURE_NAMES))`` floats."""

    def fit(self, X: Iterable[str], y=None) -> "CodeFeatures":
        """Nothing to learn; records the number of output features."""
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """The feature matrix."""
        return np.array([response_features(_as_text(x)) for x in X], dtype=float).reshape(-1, len(FEATURE_NAMES))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns."""
        return np.array(FEATURE_NAMES, dtype=object)


class CodeReasoningClassifier(ClassifierMixin, BaseEstimator):
    """Code reasoning vs natural language, as a scikit-learn classifier.

    Args:
        mode: ``ast`` (tree-sitter rules), ``paper`` (``"python" in text``) or
            ``learned`` (a logistic regression on :class:`CodeFeatures`,
            trained by ``fit``).
        C: inverse regularisation strength of the learned model.
        n_jobs: worker processes for the rule modes' ``predict``.
    """

    def __init__(self, mode: str = "ast", C: float = 1.0, n_jobs: int = 1):
        self.mode = mode
        self.C = C
        self.n_jobs = n_jobs

    def fit(self, X: Iterable[str], y=None) -> "CodeReasoningClassifier":
        """Rule modes learn nothing; ``learned`` fits the logistic regression."""
        if self.mode not in ESTIMATOR_MODES:
            raise ConfigError.bad_choice("mode", self.mode, ESTIMATOR_MODES)
        self.classes_ = np.array([False, True])
        if self.mode == "learned":
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            if y is None:
                raise ConfigError("mode='learned' needs labels: fit(texts, y)")
            self.model_ = make_pipeline(CodeFeatures(), StandardScaler(), LogisticRegression(C=self.C, max_iter=1000))
            self.model_.fit(list(X), np.asarray(y, dtype=bool))
        return self

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """``(n, 2)`` probabilities of [language, code]; 0/1 in the rule modes."""
        check_is_fitted(self, "classes_")
        texts = [_as_text(x) for x in X]
        if self.mode == "learned":
            return self.model_.predict_proba(texts)
        from codereason.classify import classify_many

        code = np.array([label.code_reasoning for label in classify_many(texts, self.mode, self.n_jobs)], dtype=float)
        return np.column_stack([1.0 - code, code])

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Boolean code-reasoning verdicts."""
        return self.predict_proba(X)[:, 1] >= 0.5

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """The :class:`CodeFeatures` matrix of ``X``."""
        check_is_fitted(self, "classes_")
        return CodeFeatures().fit(X).transform(X)


def _as_text(value) -> str:
    """Texts may arrive as str, None or numpy scalars from a DataFrame column."""
    return value if isinstance(value, str) else ("" if value is None else str(value))


__all__ = ("FEATURE_NAMES", "CodeFeatures", "CodeReasoningClassifier", "response_features", "classify")
