"""The learned classifier: JSON weights, training with cross-validation, the shipped learned-v12."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from typer.testing import CliRunner

import codereason.cli  # noqa: F401  (registers commands)
import codereason.cli.train_cmd  # noqa: F401
from codereason import classify
from codereason.classifier.estimator import CodeFeatures, CodeReasoningClassifier, load_learned
from codereason.classifier.features import FEATURE_NAMES, has_candidate
from codereason.classifier.learned import LearnedModel, classifiers_dir, default_learned_model
from codereason.classifier.training import CANDIDATES, find_disagreements, make_candidate, train, write_classifier
from codereason.cli._app import app
from codereason.errors import ConfigError
from codereason.labels import attach_texts, load_labels
from tests.conftest import REPO
from tests.test_classify import CASES

TEXTS = [c.text for c in CASES]
LABELS = np.array([c.code for c in CASES])
SHIPPED = classifiers_dir() / "learned-v12"
# the design sets learned-v12 was trained on (heldout/ and heldout15/ stay out: heldout15 is the out-of-design check;
# the heldoutN/second-reader.jsonl files are second readings of parts of their sets, not label sets of their own),
# and the definition's case table as labels (data/labels/definition-cases-make.py)
LABEL_FILES = (sorted((REPO / "data" / "labels").glob("dev-*.jsonl"))
               + sorted((REPO / "data" / "labels").glob("indep-*.jsonl"))
               + [REPO / "data" / "labels" / "definition-cases.jsonl"]
               + [p for n in range(2, 15) for p in sorted((REPO / "data" / "labels" / f"heldout{n}").glob("*.jsonl"))
                  if not p.name.startswith("second-reader")])
runner = CliRunner()


@pytest.fixture(scope="module")
def features() -> np.ndarray:
    return CodeFeatures().transform(TEXTS)


@pytest.fixture(scope="module")
def labelled(realdata) -> list[dict]:
    return attach_texts(load_labels(LABEL_FILES), realdata)


@pytest.mark.parametrize("name", CANDIDATES)
def test_json_export_predicts_exactly_like_sklearn(name, features, tmp_path) -> None:
    # Both candidates: the numpy evaluation of the exported numbers equals sklearn's predict_proba,
    # before and after a save/load round trip.
    fitted = make_candidate(name).fit(features, LABELS)
    exported = LearnedModel.from_sklearn(fitted, {"note": "test"})
    assert np.allclose(exported.predict_proba_features(features), fitted.predict_proba(features), atol=1e-9)
    reloaded = LearnedModel.load(exported.save(tmp_path / "w.json"))
    assert np.allclose(reloaded.predict_proba(TEXTS), fitted.predict_proba(features), atol=1e-9)
    assert reloaded.meta == {"note": "test"} and reloaded.kind == exported.kind


@pytest.mark.parametrize("doc, message", [
    (None, "no learned weights"),  # note: a missing file tells the user how to train one
    ({"format": "pickle"}, "not a codereason-learned-v1"),  # note: another format is refused
    ({"format": "codereason-learned-v1", "feature_names": ["a"], "kind": "logistic", "params": {}},
     "other features"),  # note: weights trained on other features are refused
])
def test_bad_weight_files_are_refused_with_a_reason(doc, message, tmp_path) -> None:
    path = tmp_path / "weights.json"
    if doc is not None:
        path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=message):
        LearnedModel.load(path)


def test_shipped_learned_model_loads_without_labels_and_keeps_the_contract() -> None:
    clf = CodeReasoningClassifier(mode="learned")
    assert clf.get_params() == {"mode": "learned", "C": 1.0, "n_jobs": 1}
    assert clf.fit(TEXTS) is clf
    assert (clf.predict(TEXTS) == LABELS).all()
    assert clone(clf).get_params() == clf.get_params() and not hasattr(clone(clf), "model_")
    assert (load_learned(SHIPPED).predict(TEXTS) == LABELS).all()
    meta = default_learned_model().meta
    assert meta["name"] == "learned-v12" and meta["rules_version"] == "rules-v12" and meta["sklearn_version"]


def test_classify_learned_mode_matches_the_case_table() -> None:
    for case in CASES:
        label = classify(case.text, mode="learned")
        assert label.code_reasoning == case.code, case.note
        assert label.mode == "learned"


def test_import_codereason_and_rule_modes_stay_free_of_sklearn() -> None:
    code = "import sys, codereason; codereason.classify('x = 1'); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


def test_a_response_without_a_candidate_segment_is_never_code_and_is_not_fitted_on() -> None:
    # A long repetition loop with no fence, run or span: learned-v4 before the gate called such texts
    # code from their length alone (4 MATH-500 responses of the 1.5B base model).
    loop = "Please reason step by step, and put your final answer within \\boxed{}.ager\nager\n" * 150
    features = CodeFeatures().transform([loop, TEXTS[0]])
    assert list(has_candidate(features)) == [False, True]
    assert default_learned_model().predict_proba_features(features[:1])[0, 1] < 1e-9
    assert not classify(loop, "learned").code_reasoning
    # fitting: rows without a candidate change nothing (they are left out), whatever their label
    base = CodeFeatures().transform(TEXTS)
    empty = np.tile(features[:1], (30, 1))
    for name in CANDIDATES:
        plain = make_candidate(name).fit(base, LABELS)
        padded = make_candidate(name).fit(np.vstack([base, empty]), np.concatenate([LABELS, np.ones(30, dtype=bool)]))
        assert np.allclose(plain.predict_proba(base), padded.predict_proba(base))
        assert not padded.predict(empty).any()


def test_training_needs_enough_labels_of_each_class() -> None:
    rows = [{"source": "x/y", "record": i, "sample": 0, "label": i < 2, "response": t} for i, t in enumerate(TEXTS)]
    with pytest.raises(ConfigError, match="at least 5 labels of each class"):
        train(rows, folds=5)


@pytest.mark.realdata
def test_training_on_the_labelled_set_is_honest_and_reproduces_the_shipped_model(labelled, tmp_path) -> None:
    result = train(labelled, label_files=[str(p.relative_to(REPO)) for p in LABEL_FILES])
    assert len(result.oof[result.chosen]) == len(labelled)
    chosen = result.cv[result.chosen]["overall"]
    # 2995 labels (heldout2-11 hold the hard degenerate and MathCoder cases): 0.999 and 0.977 out of fold
    assert chosen["precision"] >= 0.99 and chosen["recall"] >= 0.965
    unseen = result.loso[result.chosen]["overall"]  # each source predicted by a model fitted on the others
    assert unseen["precision"] >= 0.99 and unseen["recall"] >= 0.965  # 1.000 and 0.977
    shipped = json.loads((SHIPPED / "metrics.json").read_text())
    assert shipped["cv"] == json.loads(json.dumps(result.cv)), "codereason/classifier/versions/learned-v12 is stale: retrain it"
    write_classifier(result, tmp_path / "learned-v12")
    fresh = json.loads((tmp_path / "learned-v12" / "weights.json").read_text())
    ours = json.loads((SHIPPED / "weights.json").read_text())
    assert fresh["params"] == ours["params"] and fresh["meta"]["labels_by_source"] == ours["meta"]["labels_by_source"]


@pytest.mark.realdata
def test_train_classifier_command_writes_a_loadable_folder(realdata, tmp_path) -> None:
    out = tmp_path / "learned-test"
    result = runner.invoke(app, ["train-classifier", *map(str, LABEL_FILES), "-o", str(out), "--realdata", str(realdata)])
    assert result.exit_code == 0, result.output
    assert "cross-validated" in result.output and "*" in result.output
    assert {p.name for p in out.iterdir()} == {"weights.json", "metrics.json", "card.md"}
    card = (out / "card.md").read_text()
    assert "spurious-1p5b-gt-steps" in card and "scikit-learn" in card and "out-of-fold" in card
    assert (load_learned(out).predict(TEXTS) == LABELS).all()


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_no_disagreement_between_ast_and_learned_on_math500(realdata) -> None:
    found = find_disagreements(realdata, "ast", "learned", globs=("spurious-1p5b-gt-steps/results/*/*MATH-500.json",))
    assert found == []


def test_feature_names_in_the_shipped_weights_are_current() -> None:
    assert json.loads((SHIPPED / "weights.json").read_text())["feature_names"] == list(FEATURE_NAMES)
