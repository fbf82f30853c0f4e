"""scikit-learn estimators: the rule classifier and its features, Pipeline-ready.

- :class:`CodeFeatures` is a stateless transformer: texts -> a numeric feature
  matrix built from the rule classifier's segments (fence tags, tree-sitter
  evidence, code-line runs, keyword and output-block flags, lengths).
- :class:`CodeReasoningClassifier` follows the estimator contract: ``__init__``
  only stores parameters, ``fit`` returns ``self``, learned state ends in ``_``,
  ``predict``/``predict_proba``/``transform``, ``get_params``, clone-able.
- :class:`~codereason.classifier.learned.LearnedModel` (numpy only) is a trained
  model as plain numbers saved as JSON, so a shipped classifier
  (``versions/learned-v1/weights.json``) loads without pickle or scikit-learn.
  ``CodeReasoningClassifier(mode="learned").fit(texts)`` (no labels)
  loads the shipped one; :func:`load_learned` loads any other.

>>> clf = CodeReasoningClassifier().fit(["x"], [False])
>>> clf.predict(["```python\\nprint(1 + 1)\\n```", "The answer is 2."]).tolist()
[True, False]
"""


from __future__ import annotations

import os
from typing import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from codereason.classifier.features import FEATURE_NAMES, as_text, feature_matrix
from codereason.classifier.learned import LearnedModel, default_learned_model
from codereason.classifier.rules import MODES
from codereason.errors import ConfigError

ESTIMATOR_MODES = tuple(dict.fromkeys((*MODES, "learned")))


class CodeFeatures(TransformerMixin, BaseEstimator):
    """Stateless transformer: an iterable of texts -> ``(n, len(FEATURE_NAMES))`` floats."""

    def fit(self, X: Iterable[str], y=None) -> "CodeFeatures":
        """Nothing to learn; records the number of output features."""
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """The feature matrix."""
        return feature_matrix(X)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output columns."""
        return np.array(FEATURE_NAMES, dtype=object)


class CodeReasoningClassifier(ClassifierMixin, BaseEstimator):
    """Code reasoning vs natural language, as a scikit-learn classifier.

    Args:
        mode: ``ast`` (tree-sitter rules), ``paper`` (``"python" in text``) or
            ``learned`` (a logistic regression on :class:`CodeFeatures`,
            trained by ``fit(X, y)``; ``fit(X)`` loads the shipped model).
        C: inverse regularisation strength of the learned model.
        n_jobs: worker processes for the rule modes' ``predict``.
    """

    def __init__(self, mode: str = "ast", C: float = 1.0, n_jobs: int = 1):
        self.mode = mode
        self.C = C
        self.n_jobs = n_jobs

    def fit(self, X: Iterable[str], y=None) -> "CodeReasoningClassifier":
        """Rule modes learn nothing; ``learned`` fits a logistic regression on ``(X, y)``.

        With ``mode="learned"`` and no ``y``, the shipped model
        (``versions/learned-v1/weights.json``) is loaded instead of fitted.
        """
        if self.mode not in ESTIMATOR_MODES:
            raise ConfigError.bad_choice("mode", self.mode, ESTIMATOR_MODES)
        self.classes_ = np.array([False, True])
        if self.mode == "learned":
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            if y is None:
                self.model_ = default_learned_model()
                return self
            self.model_ = make_pipeline(CodeFeatures(), StandardScaler(), LogisticRegression(C=self.C, max_iter=1000))
            self.model_.fit(list(X), np.asarray(y, dtype=bool))
        return self

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """``(n, 2)`` probabilities of [language, code]; 0/1 in the rule modes."""
        check_is_fitted(self, "classes_")
        texts = [as_text(x, i) for i, x in enumerate(X)]
        if self.mode == "learned":
            return self.model_.predict_proba(texts)
        from codereason.classifier.parallel import classify_many

        code = np.array([label.code_reasoning for label in classify_many(texts, self.mode, self.n_jobs)], dtype=float)
        return np.column_stack([1.0 - code, code])

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """Boolean code-reasoning verdicts."""
        return self.predict_proba(X)[:, 1] >= 0.5

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """The :class:`CodeFeatures` matrix of ``X``."""
        check_is_fitted(self, "classes_")
        return CodeFeatures().fit(X).transform(X)


def load_learned(path: str | os.PathLike) -> CodeReasoningClassifier:
    """A fitted ``CodeReasoningClassifier(mode="learned")`` from a weights file or classifier folder."""
    clf = CodeReasoningClassifier(mode="learned")
    clf.classes_ = np.array([False, True])
    clf.model_ = LearnedModel.load(path)
    return clf


__all__ = ("CodeFeatures", "CodeReasoningClassifier", "load_learned")
