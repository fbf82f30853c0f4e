"""The learned model's inference: weights from JSON, numpy only (no scikit-learn at run time)."""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from codereason.classifier.features import FEATURE_NAMES, feature_matrix, has_candidate, response_features
from codereason.errors import ConfigError

WEIGHTS_FORMAT = "codereason-learned-v1"
DEFAULT_LEARNED = "learned-v12"
NO_CANDIDATE_SCORE = -30.0  # log-odds: probability of code ~1e-13


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
        model = getattr(model, "model_", model)  # a fitted GatedCandidate: its inner model
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
        """Raw scores (log-odds of code reasoning) for a feature matrix.

        A response without any candidate segment (:func:`~codereason.classifier.features.has_candidate`)
        scores :data:`NO_CANDIDATE_SCORE`: with no span to show, it is never called code.
        """
        features = np.asarray(features, dtype=float).reshape(-1, len(FEATURE_NAMES))
        return np.where(has_candidate(features), self._model_scores(features), NO_CANDIDATE_SCORE)

    def _model_scores(self, features: np.ndarray) -> np.ndarray:
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
        return self.predict_proba_features(feature_matrix(texts))

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
                              f"`codereason train-classifier data/labels/*.jsonl -o codereason/classifier/versions/{DEFAULT_LEARNED}/`")
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
    """Where classifier versions live: ``$CODEREASON_CLASSIFIERS``, else the ones shipped in the package.

    The shipped versions are package data (``codereason/classifier/versions/``), so an
    installed wheel finds them as an editable checkout does.
    """
    override = os.environ.get("CODEREASON_CLASSIFIERS")
    return Path(override) if override else Path(str(resources.files("codereason.classifier") / "versions"))


@lru_cache(maxsize=1)
def default_learned_model() -> LearnedModel:
    """The shipped learned model (``versions/learned-v11``), loaded once per process."""
    return LearnedModel.load(classifiers_dir() / DEFAULT_LEARNED / "weights.json")
