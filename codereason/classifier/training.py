"""Train the learned classifier on hand labels, with honest cross-validated metrics.

Two candidate models on :data:`~codereason.classifier.estimator.FEATURE_NAMES`: a scaled
logistic regression and gradient boosting. Each is scored by out-of-fold
predictions (``cross_val_predict`` with a seeded ``StratifiedKFold``): every
labelled response is predicted by a model that never saw it; and leave-one-source-out
(``LeaveOneGroupOut`` over the real-data folders): every source is predicted by a model
fitted on the other sources only, the honest estimate for a source not yet seen. Gradient
boosting is the model refitted on all labels and written as a classifier folder; the logistic
regression is the baseline scored beside it. The two score within a few labels of each other on
real labels, but a linear model cannot express that a fence with no statement is not code (an
interaction of the features): fitted on learned-v4's and learned-v5's labels it calls six fences of
prose in the definition's case table (``tests/test_classify.py``) code, gradient boosting none::

    codereason/classifier/versions/<name>/weights.json   the model as JSON numbers (LearnedModel)
    codereason/classifier/versions/<name>/metrics.json   cross-validated metrics, overall and per source
    codereason/classifier/versions/<name>/card.md        data, features, metrics, versions, how to reproduce

What ``codereason train-classifier`` runs.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from codereason.classifier import RULES_VERSION
from codereason.classifier.estimator import CodeFeatures
from codereason.classifier.features import FEATURE_NAMES, has_candidate
from codereason.classifier.learned import LearnedModel
from codereason.errors import ConfigError
from codereason.labels import evaluate, source_group, wilson_interval

CANDIDATES = ("logistic_regression", "gradient_boosting")
SHIPPED_CANDIDATE = "gradient_boosting"  # the model written out; the other is the baseline beside it
DEFAULT_FOLDS = 5
DEFAULT_SEED = 0


def make_candidate(name: str, seed: int = DEFAULT_SEED):
    """A fresh, unfitted candidate model on the feature matrix, behind the candidate gate (:class:`GatedCandidate`).

    Raises:
        ConfigError: ``name`` is not one of :data:`CANDIDATES`.
    """
    return GatedCandidate(_inner_candidate(name, seed))


def _inner_candidate(name: str, seed: int):
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if name == "gradient_boosting":
        return GradientBoostingClassifier(n_estimators=100, max_depth=2, learning_rate=0.1, random_state=seed)
    raise ConfigError.bad_choice("model", name, CANDIDATES)


class GatedCandidate(ClassifierMixin, BaseEstimator):
    """A candidate that is fitted on, and decides, only responses with a candidate segment.

    Rows without any fence, unfenced run or inline span
    (:func:`~codereason.classifier.features.has_candidate`) are predicted "not code" and left out
    of fitting, exactly as :class:`~codereason.classifier.learned.LearnedModel` scores them; so a
    text with nothing to show is never code because of its length or other global features.
    """

    def __init__(self, model=None):
        self.model = model

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        gate = has_candidate(X)
        self.classes_ = np.array([False, True])
        self.model_ = clone(self.model).fit(X[gate], y[gate])
        return self

    def predict(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        verdicts = np.zeros(len(X), dtype=bool)
        gate = has_candidate(X)
        if gate.any():
            verdicts[gate] = self.model_.predict(X[gate]).astype(bool)
        return verdicts

    def predict_proba(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        proba = np.tile([1.0, 0.0], (len(X), 1))
        gate = has_candidate(X)
        if gate.any():
            proba[gate] = self.model_.predict_proba(X[gate])
        return proba


@dataclass
class TrainingResult:
    """What :func:`train` found.

    Attributes:
        chosen: the selected candidate's name.
        model: the chosen candidate refitted on all labels, as a :class:`LearnedModel`.
        cv: per candidate, cross-validated metrics: ``overall`` and ``by_source``.
        oof: per candidate, the out-of-fold verdicts (one per labelled row).
        rows: the labelled rows (keys, label, category, note; texts dropped).
        folds, seed: the cross-validation set-up.
        loso: per candidate, leave-one-source-out metrics (``overall``, ``by_source``).
    """

    chosen: str
    model: LearnedModel
    cv: dict[str, dict[str, Any]]
    oof: dict[str, np.ndarray]
    rows: list[dict[str, Any]]
    folds: int
    seed: int
    label_files: list[str] = field(default_factory=list)
    loso: dict[str, dict[str, Any]] = field(default_factory=dict)


def metrics_by_source(rows: Sequence[dict], predicted: Sequence[bool]) -> dict[str, Any]:
    """:func:`~codereason.labels.evaluate` overall and per real-data folder."""
    truth = np.array([bool(r["label"]) for r in rows])
    predicted = np.asarray(predicted, dtype=bool)
    groups = np.array([source_group(r["source"]) for r in rows])
    by_source = {g: evaluate(truth[groups == g], predicted[groups == g]) for g in sorted(set(groups))}
    return {"overall": evaluate(truth, predicted), "by_source": by_source}


def cross_validated(features: np.ndarray, y: np.ndarray, name: str, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold verdicts of one candidate (each row predicted by a model not fitted on it)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_predict(make_candidate(name, seed), features, y, cv=splitter).astype(bool)


def leave_one_source_out(features: np.ndarray, y: np.ndarray, groups: np.ndarray, name: str, seed: int) -> np.ndarray:
    """Verdicts of one candidate where each source is predicted by a model fitted on the other sources."""
    predicted = np.zeros(len(y), dtype=bool)
    for group in sorted(set(groups)):
        held = groups == group
        if len(set(y[~held])) < 2:
            raise ConfigError(f"leave-one-source-out: without {group} only one class is labelled; label more sources")
        predicted[held] = make_candidate(name, seed).fit(features[~held], y[~held]).predict(features[held]).astype(bool)
    return predicted


def select(cv: dict[str, dict[str, Any]]) -> str:
    """The candidate to ship: :data:`SHIPPED_CANDIDATE` (see the module docstring for why not the better F1)."""
    return SHIPPED_CANDIDATE


def train(rows: list[dict[str, Any]], folds: int = DEFAULT_FOLDS, seed: int = DEFAULT_SEED,
          label_files: Sequence[str] = ()) -> TrainingResult:
    """Cross-validate the candidates on labelled rows (with ``response`` texts), refit the best on all.

    Rows are put in key order first, so the result does not depend on the order of the label files.

    Raises:
        ConfigError: too few labels of a class for ``folds``-fold cross-validation.
    """
    rows = sorted(rows, key=_key_order)  # file order must not matter
    y = np.array([bool(r["label"]) for r in rows])
    smallest = min(int(y.sum()), int((~y).sum()))
    if smallest < folds:
        raise ConfigError(f"need at least {folds} labels of each class for {folds}-fold cross-validation; "
                          f"the smaller class has {smallest}: label more responses or lower --folds")
    features = CodeFeatures().transform([r["response"] for r in rows])
    oof = {name: cross_validated(features, y, name, folds, seed) for name in CANDIDATES}
    cv = {name: metrics_by_source(rows, oof[name]) for name in CANDIDATES}
    groups = np.array([source_group(r["source"]) for r in rows])
    loso = {name: metrics_by_source(rows, leave_one_source_out(features, y, groups, name, seed)) for name in CANDIDATES}
    chosen = select(cv)
    fitted = make_candidate(chosen, seed).fit(features, y)
    keys = [{k: v for k, v in r.items() if k != "response"} for r in rows]
    model = LearnedModel.from_sklearn(fitted, _meta(chosen, keys, folds, seed, label_files))
    return TrainingResult(chosen, model, cv, oof, keys, folds, seed, list(label_files), loso)


def _key_order(row: dict[str, Any]) -> tuple:
    """Sort key of a label: source, record (pointer keys into a JSON document have none), pointer, sample."""
    record = row["record"]
    return (row["source"], -1 if record is None else int(record), row.get("pointer") or "", int(row["sample"]))


def _meta(chosen: str, rows: list[dict], folds: int, seed: int, label_files: Sequence[str]) -> dict[str, Any]:
    """Provenance stored inside the weights file."""
    import sklearn

    return {"model": chosen, "sklearn_version": sklearn.__version__, "rules_version": RULES_VERSION,
            "date": _dt.date.today().isoformat(), "n_labels": len(rows),
            "labels_by_source": dict(sorted(Counter(source_group(r["source"]) for r in rows).items())),
            "label_files": [str(f) for f in label_files], "cv": {"folds": folds, "seed": seed}}


def write_classifier(result: TrainingResult, out_dir: str | os.PathLike, name: str | None = None) -> Path:
    """Write ``weights.json``, ``metrics.json`` and ``card.md`` into ``out_dir``."""
    out = Path(out_dir)
    name = name or out.name
    result.model.meta["name"] = name
    result.model.save(out / "weights.json")
    metrics = {"name": name, "chosen": result.chosen, "evaluation": f"{result.folds}-fold stratified cross-validation "
               f"(seed {result.seed}), out-of-fold predictions", **{k: result.model.meta[k] for k in
               ("date", "sklearn_version", "rules_version", "n_labels", "labels_by_source", "label_files")},
               "cv": result.cv, "leave_one_source_out": result.loso}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    (out / "card.md").write_text(render_card(result, name), encoding="utf-8")
    return out


def _metric_row(label: str, m: dict[str, Any]) -> str:
    c = m["confusion"]
    p_low, p_high = wilson_interval(c["tp"], c["tp"] + c["fp"])
    r_low, r_high = wilson_interval(c["tp"], c["tp"] + c["fn"])
    precision = m["precision"] if c["tp"] + c["fp"] else None
    recall = m["recall"] if c["tp"] + c["fn"] else None
    return (f"| {label} | {m['n']} | {_num(precision)} ({p_low:.3f}-{p_high:.3f}) | {_num(recall)} "
            f"({r_low:.3f}-{r_high:.3f}) | {_num(m['f1'] if c['tp'] + c['fp'] + c['fn'] else None)} | {c['tn']} | {c['fp']} | {c['fn']} | {c['tp']} |")


def _num(value) -> str:
    return "n/a" if value is None or value != value else f"{value:.3f}"


def metrics_table(result: dict[str, Any]) -> str:
    """A Markdown table of one candidate's overall and per-source metrics, with 95% Wilson intervals."""
    lines = ["| data | n | precision (95%) | recall (95%) | F1 | TN | FP | FN | TP |", "|---|---|---|---|---|---|---|---|---|",
             _metric_row("all", result["overall"])]
    lines += [_metric_row(source, m) for source, m in result["by_source"].items()]
    return "\n".join(lines)


def render_card(result: TrainingResult, name: str) -> str:
    """The classifier card (Markdown)."""
    meta = result.model.meta
    sources = "\n".join(f"| `{s}` | {n} |" for s, n in meta["labels_by_source"].items())
    others = "\n\n".join(f"**{c}**{' (chosen)' if c == result.chosen else ''}:\n\n{metrics_table(result.cv[c])}"
                         for c in CANDIDATES)
    loso = "\n\n".join(f"**{c}**{' (chosen)' if c == result.chosen else ''}:\n\n{metrics_table(result.loso[c])}"
                       for c in CANDIDATES if c in result.loso)
    features = ", ".join(f"`{f}`" for f in FEATURE_NAMES)
    files = " ".join(meta["label_files"]) or "data/labels/*.jsonl"
    return _CARD.format(name=name, chosen=result.chosen, date=meta["date"], sklearn=meta["sklearn_version"],
                        rules=meta["rules_version"], n=meta["n_labels"], sources=sources, features=features,
                        folds=result.folds, seed=result.seed, tables=others, files=files, n_features=len(FEATURE_NAMES),
                        loso=loso)


_CARD = """# Classifier `{name}`: learned code-reasoning classifier

- **Model**: `{chosen}` on {n_features} features of the rule classifier's segments, chosen by
  design over a scaled logistic regression, the baseline cross-validated beside it (gradient boosting,
  100 trees, depth 2, can learn that a fence without a statement is not code). Both sit behind a gate: a response with no fence, unfenced run or
  inline span is never code and is left out of fitting (it has no span to show).
- **Weights**: `weights.json` (plain JSON numbers, format `codereason-learned-v1`; no pickle).
  Load with `CodeReasoningClassifier(mode="learned").fit(texts)` (the shipped default),
  `codereason.classifier.estimator.load_learned("codereason/classifier/versions/{name}")`, or `--mode learned` in the CLI.
- **Trained**: {date}, scikit-learn {sklearn}, features from rule set `{rules}`.
- **Definition** of code reasoning: as in `codereason/classifier/versions/{rules}/card.md` (program source the
  model wrote while working the problem: at least one executable statement or definition).

## Data

{n} hand-labelled responses (keys only, texts read from `$CODEREASON_REALDATA`): {files}

| source | labelled responses |
|---|---|
{sources}

## Features

{features}

## Metrics (honest: out-of-fold)

{folds}-fold stratified cross-validation (seed {seed}): every response is predicted by a model
that was not fitted on it. The shipped weights are then refitted on all {n} labels, so they have
no held-out score of their own; these numbers estimate them. Selecting between two candidates on
the same folds adds a small optimistic bias.

{tables}

## Leave-one-source-out

Each real-data folder is predicted by a model fitted on the other folders only: the estimate
for a source nobody labelled. A folder with no positives (or no negatives) has no precision
(or recall) to estimate; its interval is the whole of 0-1.

{loso}

## Reproduce

```
CODEREASON_REALDATA=/path/to/realdata codereason train-classifier {files} -o codereason/classifier/versions/{name}/
```
`notebooks/classifier_validation.ipynb` shows every error.
"""


# Files under the real-data root that hold responses (the rest are configs and summaries).
RESPONSE_GLOBS = ("spurious-1p5b-gt-steps/results/*/*.json", "cs336-grpo-qwen1p5b-rollouts/*/grpo_step_*/sample_rollouts.jsonl",
                  "tora-gsm8k-tir/*/*/*.jsonl", "qwen25-math-instruct-maj8-math100/*.jsonl")


def iter_keyed_responses(root: str | os.PathLike, globs: Sequence[str] = RESPONSE_GLOBS):
    """``(source, record, sample, response)`` for every response under ``root``, keyed like the label files."""
    from codereason.io import read_rows

    root = Path(root)
    for pattern in globs:
        for path in sorted(root.glob(pattern)):
            for row in read_rows(path):
                provenance = row["provenance"]
                record = provenance.get("record", provenance.get("line", 1) - 1)
                yield path.relative_to(root).as_posix(), record, provenance.get("sample", 0), row["response"]


def find_disagreements(root: str | os.PathLike, mode_a: str = "ast", mode_b: str = "learned",
                       globs: Sequence[str] = RESPONSE_GLOBS) -> list[dict[str, Any]]:
    """Every response under ``root`` (files matching ``globs``) where two classifier modes disagree.

    These are the responses to label first (active learning).
    """
    from codereason.classifier import classify

    found = []
    for source, record, sample, text in iter_keyed_responses(root, globs):
        a, b = classify(text, mode_a).code_reasoning, classify(text, mode_b).code_reasoning
        if a != b:
            found.append({"source": source, "record": record, "sample": sample, mode_a: a, mode_b: b})
    return found


def rule_metrics(rows: Sequence[dict], modes: Sequence[str] = ("ast", "paper")) -> dict[str, dict[str, Any]]:
    """Metrics of rule modes on labelled rows (with ``response`` texts), overall and per source.

    Rules are not fitted on the labels, so these are plain held-out scores (what
    ``codereason/classifier/versions/rules-v1/metrics.json`` records).
    """
    from codereason.classifier import classify

    return {mode: metrics_by_source(rows, [classify(r["response"], mode).code_reasoning for r in rows]) for mode in modes}
