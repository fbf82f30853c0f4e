"""scikit-learn estimators: the rule classifier and its features, Pipeline-ready.

- :class:`CodeFeatures` is a stateless transformer: texts -> a numeric feature
  matrix built from the rule classifier's segments (fence tags, tree-sitter
  evidence, code-line runs, keyword and output-block flags, lengths).
- :class:`CodeReasoningClassifier` follows the estimator contract: ``__init__``
  only stores parameters, ``fit`` returns ``self``, learned state ends in ``_``,
  ``predict``/``predict_proba``/``transform``, ``get_params``, clone-able.
- :class:`LearnedModel` is a trained model as plain numbers (feature names,
  scaler, coefficients or trees) saved as JSON and evaluated with numpy, so a
  shipped classifier (``classifiers/learned-v1/weights.json``) loads without
  pickle. ``CodeReasoningClassifier(mode="learned").fit(texts)`` (no labels)
  loads the shipped one; :func:`load_learned` loads any other.

>>> clf = CodeReasoningClassifier().fit(["x"], [False])
>>> clf.predict(["```python\\nprint(1 + 1)\\n```", "The answer is 2."]).tolist()
[True, False]
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

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
ESTIMATOR_MODES = tuple(dict.fromkeys((*MODES, "learned")))
WEIGHTS_FORMAT = "codereason-learned-v1"
DEFAULT_LEARNED = "learned-v1"


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
        (``classifiers/learned-v1/weights.json``) is loaded instead of fitted.
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


class LearnedModel:
    """A trained model on :data:`FEATURE_NAMES`, as plain numbers (JSON in, numpy out).

    Two kinds: ``logistic`` (``params``: scaler ``mean``/``scale``, ``coef``,
    ``intercept``) and ``gradient_boosting`` (``params``: ``init_raw``,
    ``learning_rate`` and ``trees``, each with ``left``/``right``/``feature``/
    ``threshold``/``value`` node arrays as scikit-learn stores them).

    Args:
        kind: ``logistic`` or ``gradient_boosting``.
        params: the numbers, as above.
        meta: provenance (sklearn version, date, training data) kept in the file.
    """

    KINDS = ("logistic", "gradient_boosting")

    def __init__(self, kind: str, params: dict[str, Any], meta: dict[str, Any] | None = None):
        if kind not in self.KINDS:
            raise ConfigError.bad_choice("model kind", kind, self.KINDS)
        self.kind, self.params, self.meta = kind, params, dict(meta or {})
        self.threshold = 0.5

    @classmethod
    def from_sklearn(cls, model, meta: dict[str, Any] | None = None) -> "LearnedModel":
        """Export a fitted ``make_pipeline(StandardScaler(), LogisticRegression())`` or ``GradientBoostingClassifier``."""
        steps = dict(getattr(model, "steps", []))
        if "logisticregression" in steps:
            scaler, logistic = steps["standardscaler"], steps["logisticregression"]
            params = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                      "coef": logistic.coef_[0].tolist(), "intercept": float(logistic.intercept_[0])}
            return cls("logistic", params, meta)
        if hasattr(model, "estimators_"):
            return cls("gradient_boosting", _boosting_params(model), meta)
        raise ConfigError(f"cannot export {type(model).__name__}: expected a scaled logistic regression or gradient boosting")

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """Raw scores (log-odds of code reasoning) for a feature matrix."""
        features = np.asarray(features, dtype=float).reshape(-1, len(FEATURE_NAMES))
        p = self.params
        if self.kind == "logistic":
            scaled = (features - np.asarray(p["mean"])) / np.asarray(p["scale"])
            return scaled @ np.asarray(p["coef"]) + p["intercept"]
        raw = np.full(len(features), p["init_raw"], dtype=float)
        for tree in p["trees"]:
            raw += p["learning_rate"] * _tree_values(tree, features)
        return raw

    def predict_proba_features(self, features: np.ndarray) -> np.ndarray:
        """``(n, 2)`` probabilities of [language, code] for a feature matrix."""
        code = 1.0 / (1.0 + np.exp(-self.decision_function(features)))
        return np.column_stack([1.0 - code, code])

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """``(n, 2)`` probabilities for texts (features computed here)."""
        return self.predict_proba_features(CodeFeatures().transform(texts))

    def predict_code(self, text: str) -> bool:
        """The verdict for one response."""
        return bool(self.predict_proba_features(np.array([response_features(text)]))[0, 1] >= self.threshold)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: format tag, feature names, kind, numbers and provenance."""
        return {"format": WEIGHTS_FORMAT, "feature_names": list(FEATURE_NAMES), "kind": self.kind,
                "params": self.params, "meta": self.meta}

    def save(self, path: str | os.PathLike) -> Path:
        """Write :meth:`to_dict` as indented JSON."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f" {json.dumps(k)}: {_compact(k, v)}" for k, v in self.to_dict().items()]
        path.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "LearnedModel":
        """Read a weights file (or a classifier folder holding ``weights.json``).

        Raises:
            ConfigError: the file is missing, not this format, or built on other features.
        """
        path = Path(path)
        path = path / "weights.json" if path.is_dir() else path
        if not path.is_file():
            raise ConfigError(f"no learned weights at {path}: train them with "
                              f"`codereason train-classifier data/labels/*.jsonl -o classifiers/{DEFAULT_LEARNED}/`")
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != WEIGHTS_FORMAT:
            raise ConfigError(f"{path} is not a {WEIGHTS_FORMAT} weights file (format={doc.get('format')!r})")
        if tuple(doc["feature_names"]) != FEATURE_NAMES:
            raise ConfigError(f"{path} was trained on other features than this codereason's FEATURE_NAMES; retrain it")
        return cls(doc["kind"], doc["params"], doc.get("meta"))


def _compact(key: str, value: Any) -> str:
    """JSON for one top-level field; boosting trees one per line (readable and diffable)."""
    if key != "params" or "trees" not in value:
        return json.dumps(value)
    head = json.dumps({k: v for k, v in value.items() if k != "trees"})[:-1]
    trees = ",\n".join(f"  {json.dumps(tree)}" for tree in value["trees"])
    return f'{head}, "trees": [\n{trees}\n ]}}'


def _boosting_params(model) -> dict[str, Any]:
    """Node arrays of a fitted binary ``GradientBoostingClassifier``."""
    prior = float(model.init_.class_prior_[1])
    trees = []
    for stage in model.estimators_[:, 0]:
        t = stage.tree_
        trees.append({"left": t.children_left.tolist(), "right": t.children_right.tolist(),
                      "feature": t.feature.tolist(), "threshold": t.threshold.tolist(),
                      "value": t.value[:, 0, 0].tolist()})
    return {"init_raw": math.log(prior / (1.0 - prior)), "learning_rate": float(model.learning_rate), "trees": trees}


def _tree_values(tree: dict[str, list], features: np.ndarray) -> np.ndarray:
    """Leaf values of one regression tree for every row (scikit-learn compares float32 features)."""
    left, right = np.asarray(tree["left"]), np.asarray(tree["right"])
    feature, threshold = np.asarray(tree["feature"]), np.asarray(tree["threshold"])
    x = features.astype(np.float32).astype(float)
    rows = np.arange(len(x))
    node = np.zeros(len(x), dtype=int)
    while True:
        inner = left[node] != -1
        if not inner.any():
            return np.asarray(tree["value"])[node]
        goes_left = x[rows, np.maximum(feature[node], 0)] <= threshold[node]
        node = np.where(inner, np.where(goes_left, left[node], right[node]), node)


def classifiers_dir() -> Path:
    """Where classifier versions live: ``$CODEREASON_CLASSIFIERS``, else ``classifiers/`` of this checkout."""
    return Path(os.environ.get("CODEREASON_CLASSIFIERS") or Path(__file__).resolve().parent.parent / "classifiers")


@lru_cache(maxsize=1)
def default_learned_model() -> LearnedModel:
    """The shipped learned model (``classifiers/learned-v1``), loaded once per process."""
    return LearnedModel.load(classifiers_dir() / DEFAULT_LEARNED / "weights.json")


def load_learned(path: str | os.PathLike) -> CodeReasoningClassifier:
    """A fitted ``CodeReasoningClassifier(mode="learned")`` from a weights file or classifier folder."""
    clf = CodeReasoningClassifier(mode="learned")
    clf.classes_ = np.array([False, True])
    clf.model_ = LearnedModel.load(path)
    return clf


def _as_text(value) -> str:
    """Texts may arrive as str, None or numpy scalars from a DataFrame column."""
    return value if isinstance(value, str) else ("" if value is None else str(value))


__all__ = ("FEATURE_NAMES", "CodeFeatures", "CodeReasoningClassifier", "LearnedModel", "classify", "default_learned_model",
           "load_learned", "response_features")
