"""The scikit-learn contract, checked by hand (sklearn's common checks skip text estimators)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from codereason.classifier.estimator import CodeFeatures, CodeReasoningClassifier
from codereason.classifier.features import FEATURE_NAMES
from tests.test_classify import CASES

TEXTS = [c.text for c in CASES]
LABELS = np.array([c.code for c in CASES])


def test_init_only_stores_params_and_clone_round_trips() -> None:
    clf = CodeReasoningClassifier(mode="paper", C=0.5, n_jobs=2)
    assert clf.get_params() == {"mode": "paper", "C": 0.5, "n_jobs": 2}
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and twin is not clf
    assert not hasattr(clf, "classes_")


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        CodeReasoningClassifier().predict(["x"])


def test_rule_mode_predicts_the_rules() -> None:
    clf = CodeReasoningClassifier()
    assert clf.fit(TEXTS, LABELS) is clf
    assert (clf.predict(TEXTS) == LABELS).all()
    proba = clf.predict_proba(TEXTS)
    assert proba.shape == (len(TEXTS), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert clf.score(TEXTS, LABELS) == 1.0


def test_transform_gives_the_feature_matrix() -> None:
    matrix = CodeReasoningClassifier().fit(TEXTS).transform(TEXTS)
    assert matrix.shape == (len(TEXTS), len(FEATURE_NAMES))
    rule_column = matrix[:, FEATURE_NAMES.index("rule_code")]
    assert (rule_column == LABELS).all()


def test_features_in_a_pipeline_with_a_learned_model() -> None:
    from sklearn.linear_model import LogisticRegression

    pipe = Pipeline([("features", CodeFeatures()), ("model", LogisticRegression(max_iter=500))])
    pipe.fit(TEXTS * 3, np.concatenate([LABELS] * 3))
    assert pipe.score(TEXTS, LABELS) >= 0.9
    assert list(pipe.named_steps["features"].get_feature_names_out()) == list(FEATURE_NAMES)


def test_learned_mode_cross_validates_on_texts_it_did_not_fit() -> None:
    """Each fold scores cases the fold's model never saw (each case table text once)."""
    assert len(set(TEXTS)) == len(TEXTS)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(CodeReasoningClassifier(mode="learned"), TEXTS, LABELS, cv=folds)
    assert scores.min() >= 0.9, scores


def test_bad_mode_fails_at_fit_with_the_allowed_values() -> None:
    with pytest.raises(Exception, match="'ast', 'paper', 'learned'"):
        CodeReasoningClassifier(mode="magic").fit(TEXTS, LABELS)


def test_a_value_that_is_not_a_text_is_refused_with_its_position() -> None:
    clf = CodeReasoningClassifier().fit(TEXTS)
    with pytest.raises(TypeError, match="position 1"):
        clf.predict(["x = 1", 42])
    with pytest.raises(TypeError, match="position 0"):
        CodeFeatures().transform([["print(1)"]])
    assert clf.predict([None, np.str_("```python\nprint(1)\n```")]).tolist() == [False, True]
