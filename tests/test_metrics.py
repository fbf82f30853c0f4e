"""Metrics: pass@k against enumeration, maj@k, bootstrap determinism, transitions by hand."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from codereason.errors import ConfigError
from codereason.metrics import bootstrap_ci, ks_for, majority_correct, pass_at_k, per_problem, summarize, transitions


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    """Share of all k-subsets of n samples (c of them correct) holding a correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_pass_at_k_equals_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k), abs=1e-12), (n, c, k)


def test_pass_at_k_rejects_bad_k():
    with pytest.raises(ConfigError, match="1 <= k <= n"):
        pass_at_k(4, 1, 5)


@pytest.mark.parametrize("preds, correct, expected, note", [
    (["2", "2", "3"], [True, True, False], True, "majority right"),
    (["3", "3", "2"], [False, False, True], False, "majority wrong"),
    (["2", "3"], [True, False], True, "tie: the first answer seen wins"),
    ([None, None, "4"], [None, None, True], True, "no-answer samples do not vote"),
    ([None, None], [None, None], False, "nobody answered"),
])
def test_majority_correct(preds, correct, expected, note):
    assert majority_correct(preds, correct) is expected


def _frame(rows):
    """Responses from (problem, sample, correct, code, has_boxed, pred)."""
    frame = pd.DataFrame(rows, columns=["problem_id", "sample_idx", "correct", "code", "has_boxed", "pred"])
    frame["code_ast"] = frame["code"]
    frame["code_paper"] = frame["code"]
    return frame


HAND = _frame([
    ("a", 0, True, True, True, "1"), ("a", 1, True, True, True, "1"),
    ("b", 0, False, False, True, "2"), ("b", 1, True, True, True, "3"),
    ("c", 0, None, False, False, None), ("c", 1, False, False, True, "9"),
])


def test_summarize_by_hand():
    row = summarize(HAND, n_boot=200, seed=1)
    assert (row["n_problems"], row["n_responses"], row["samples_per_problem"]) == (3, 6, 2)
    assert row["accuracy"] == pytest.approx(3 / 6)
    assert row["code_freq"] == pytest.approx(3 / 6)
    assert row["acc_given_code"] == pytest.approx(3 / 3)  # every code response is right
    assert row["acc_given_lang"] == pytest.approx(0 / 3)
    assert row["no_boxed_share"] == pytest.approx(1 / 6)
    assert row["pass@1"] == pytest.approx(np.mean([1.0, 0.5, 0.0]))
    assert row["pass@2"] == pytest.approx(2 / 3)
    assert row["maj@2"] == pytest.approx(np.mean([True, False, False]))  # b: tie, first answer '2' is wrong
    assert row["accuracy_lo"] <= row["accuracy"] <= row["accuracy_hi"]


def test_ks_for():
    assert ks_for(1) == [1]
    assert ks_for(16) == [1, 2, 4, 8, 16]


def test_bootstrap_is_deterministic_with_a_seed():
    rng = np.random.default_rng(7)
    frame = _frame([(str(i // 4), i % 4, bool(rng.random() < 0.4), bool(rng.random() < 0.6), True, "x")
                    for i in range(400)])
    problems = per_problem(frame)
    first, again = bootstrap_ci(problems, 500, seed=3), bootstrap_ci(problems, 500, seed=3)
    other = bootstrap_ci(problems, 500, seed=4)
    assert first == again
    assert first["accuracy"] != other["accuracy"]
    point = summarize(frame, n_boot=0)["accuracy"]
    low, high = first["accuracy"]
    assert low < point < high and high - low < 0.25


def _checkpoint(states):
    """One greedy sample per problem from {problem: (code, correct)}."""
    return _frame([(p, 0, ok, code, True, "x") for p, (code, ok) in states.items()])


def test_transitions_on_a_hand_built_example():
    start = _checkpoint({"p1": (True, True), "p2": (True, False), "p3": (False, False), "p4": (False, False),
                         "p5": (False, True), "p6": (True, False), "only_start": (True, True)})
    end = _checkpoint({"p1": (True, True), "p2": (False, True), "p3": (True, True), "p4": (True, True),
                       "p5": (False, False), "p6": (True, True), "only_end": (False, True)})
    table = transitions(start, end).set_index("transition")
    # Code→Code p1 (1→1), p6 (0→1); Code→Lang p2 (0→1); Lang→Code p3, p4 (0→1); Lang→Lang p5 (1→0).
    assert table["count"].to_dict() == {"Code→Code": 2, "Code→Lang": 1, "Lang→Code": 2, "Lang→Lang": 1}
    assert table["net_gain"].to_dict() == {"Code→Code": 1, "Code→Lang": 1, "Lang→Code": 2, "Lang→Lang": -1}
    assert table.loc["Lang→Code", "share_of_gain"] == pytest.approx(2 / 3)  # net gain overall is 3
    assert table["share_of_gain"].sum() == pytest.approx(1.0)
    assert table.loc["Lang→Code", ["acc_start", "acc_end"]].tolist() == [0.0, 1.0]
    assert table.loc["Code→Code", "share"] == pytest.approx(2 / 6)


def test_transitions_by_majority_of_samples():
    start = _frame([("p", 0, False, True, True, "x"), ("p", 1, False, True, True, "x"), ("p", 2, True, False, True, "y")])
    end = _frame([("p", 0, True, False, True, "y"), ("p", 1, True, False, True, "y"), ("p", 2, True, True, True, "y")])
    table = transitions(start, end, strategy="majority").set_index("transition")
    assert table.loc["Code→Lang", "count"] == 1
    assert table.loc["Code→Lang", "acc_start"] == pytest.approx(1 / 3)
    with pytest.raises(ConfigError, match="--strategy"):
        transitions(start, end, strategy="best")
