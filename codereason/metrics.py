"""Metrics over graded, tagged responses: pass@k, maj@k, code frequency, bootstrap CIs, transitions.

Everything works on a pandas DataFrame with one row per response and the columns
``problem_id``, ``sample_idx``, ``correct`` (True/False/None; None counts as wrong),
``pred``, ``has_boxed``, ``code`` (the chosen mode's label), ``code_ast`` and
``code_paper``. Confidence intervals come from a *problem-level* (cluster)
bootstrap: problems are resampled with replacement, keeping all their samples
together, with a seeded generator so the result is deterministic.

>>> pass_at_k(n=8, c=2, k=1)
0.25
>>> round(pass_at_k(n=8, c=2, k=8), 6)
1.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from codereason.errors import ConfigError

DEFAULT_BOOTSTRAP = 1000
DEFAULT_SEED = 0
TRANSITION_GROUPS = ("Code→Code", "Code→Lang", "Lang→Code", "Lang→Lang")
STRATEGIES = ("greedy", "majority")


# ------------------------------------------------------------------ estimators

def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of Chen et al. (2021): ``1 - C(n-c, k) / C(n, k)``.

    Args:
        n: samples drawn for the problem.
        c: samples that are correct.
        k: the k of pass@k (``1 <= k <= n``).

    Raises:
        ConfigError: k is outside ``1..n`` or c outside ``0..n``.
    """
    if not 1 <= k <= n or not 0 <= c <= n:
        raise ConfigError(f"pass@k needs 1 <= k <= n and 0 <= c <= n; got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    # The product form of Chen et al. avoids huge binomials.
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def ks_for(n: int) -> list[int]:
    """The k values reported for n samples: powers of two below n, and n.

    >>> ks_for(8)
    [1, 2, 4, 8]
    >>> ks_for(5)
    [1, 2, 4, 5]
    """
    ks = [1 << i for i in range(n.bit_length()) if (1 << i) < n]
    return ks + [n] if n >= 1 else []


def majority_correct(preds: list, correct: list) -> bool:
    """Whether the most frequent extracted answer is correct (ties: first seen wins).

    Answers are compared as stripped strings; responses without an answer do not vote.
    """
    votes: dict[str, list] = {}
    for pred, ok in zip(preds, correct):
        if pred is None or str(pred).strip() == "":
            continue
        votes.setdefault(str(pred).strip(), []).append(ok is True)
    if not votes:
        return False
    best = max(votes.values(), key=len)  # max keeps the first of equal counts
    return any(best)


# ---------------------------------------------------------------- per problem

def per_problem(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-problem sums used by the estimators and the bootstrap.

    Returns:
        One row per problem: ``n``, ``c`` (correct), ``code``, ``code_ast``,
        ``code_paper``, ``c_code`` (correct and code), ``no_box``.
    """
    work = pd.DataFrame({
        "problem_id": frame["problem_id"].astype(str).to_numpy(),
        "n": 1,
        "c": _truthy(frame["correct"]),
        "code": _truthy(frame["code"]),
        "code_ast": _truthy(frame["code_ast"]),
        "code_paper": _truthy(frame["code_paper"]),
        "no_box": ~_truthy(frame["has_boxed"]),
    })
    work["c_code"] = work["c"] & work["code"]
    return work.groupby("problem_id", sort=False).sum(numeric_only=True).astype(np.int64)


def _truthy(series: pd.Series) -> np.ndarray:
    """True exactly where the value is True (None/NaN count as False)."""
    return series.map(lambda v: v is True or v is np.True_ or v == 1).to_numpy(dtype=bool)


# ------------------------------------------------------------------ bootstrap

def _ratios(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Ratios from column sums ``[n, c, code, code_ast, code_paper, c_code, no_box]`` (last axis)."""
    n, c, code, code_ast, code_paper, c_code, no_box = np.moveaxis(sums, -1, 0)
    lang = n - code
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "accuracy": c / n,
            "code_freq": code / n,
            "code_freq_ast": code_ast / n,
            "code_freq_paper": code_paper / n,
            "acc_given_code": np.where(code > 0, c_code / np.maximum(code, 1), np.nan),
            "acc_given_lang": np.where(lang > 0, (c - c_code) / np.maximum(lang, 1), np.nan),
            "no_boxed_share": no_box / n,
        }


SUM_COLUMNS = ["n", "c", "code", "code_ast", "code_paper", "c_code", "no_box"]


def bootstrap_ci(
    problems: pd.DataFrame, n_boot: int = DEFAULT_BOOTSTRAP, seed: int = DEFAULT_SEED, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap CIs of every ratio, resampling problems.

    Args:
        problems: the output of :func:`per_problem`.
        n_boot: bootstrap replicates.
        seed: seed of ``numpy.random.default_rng`` (same seed, same intervals).
        level: coverage of the interval.

    Returns:
        ``{metric: (low, high)}`` for each metric of :func:`_ratios`.
    """
    values = problems[SUM_COLUMNS].to_numpy(dtype=np.int64)
    if len(values) == 0 or n_boot <= 0:
        return {name: (np.nan, np.nan) for name in _ratios(np.zeros(len(SUM_COLUMNS)))}
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(values), size=(n_boot, len(values)))
    sums = np.stack([values[row].sum(axis=0) for row in picks]) if len(values) > 5000 else values[picks].sum(axis=1)
    tail = (1 - level) / 2 * 100
    out = {}
    for name, samples in _ratios(sums).items():
        finite = samples[np.isfinite(samples)]
        out[name] = tuple(np.percentile(finite, [tail, 100 - tail])) if len(finite) else (np.nan, np.nan)
    return out


# --------------------------------------------------------------- group summary

def summarize(frame: pd.DataFrame, n_boot: int = DEFAULT_BOOTSTRAP, seed: int = DEFAULT_SEED) -> dict:
    """Every metric of one (step, benchmark) group of responses.

    Returns:
        A flat dict: ``n_problems``, ``n_responses``, ``samples_per_problem``,
        each ratio with ``_lo``/``_hi`` CI bounds, ``n_code``, ``n_lang``,
        ``pass@k`` and ``maj@k`` for k in :func:`ks_for` (k <= the fewest samples
        of any problem; maj@k votes over each problem's first k samples).
    """
    problems = per_problem(frame)
    totals = problems[SUM_COLUMNS].sum().to_numpy(dtype=np.int64)
    row = {"n_problems": len(problems), "n_responses": int(totals[0]),
           "samples_per_problem": int(problems["n"].min()) if len(problems) else 0,
           "n_code": int(totals[2]), "n_lang": int(totals[0] - totals[2])}
    intervals = bootstrap_ci(problems, n_boot, seed)
    for name, value in _ratios(totals.astype(float)).items():
        row[name] = float(value)
        row[f"{name}_lo"], row[f"{name}_hi"] = (float(v) for v in intervals[name])
    row.update(_pass_and_maj(frame, problems, row["samples_per_problem"]))
    return row


def _pass_and_maj(frame: pd.DataFrame, problems: pd.DataFrame, n_min: int) -> dict:
    """pass@k (unbiased, per problem then averaged) and maj@k (first k samples)."""
    out = {}
    ordered = frame.sort_values(["problem_id", "sample_idx"], kind="stable")
    groups = [(g["pred"].tolist(), g["correct"].tolist()) for _, g in ordered.groupby("problem_id", sort=False)]
    for k in ks_for(n_min):
        out[f"pass@{k}"] = float(np.mean([pass_at_k(int(n), int(c), k) for n, c in zip(problems["n"], problems["c"])]))
        out[f"maj@{k}"] = float(np.mean([majority_correct(p[:k], c[:k]) for p, c in groups]))
    return out


# ----------------------------------------------------------------- transitions

@dataclass(frozen=True)
class ProblemState:
    """A problem's strategy and accuracy at one checkpoint."""

    code: bool
    accuracy: float


def problem_states(frame: pd.DataFrame, strategy: str = "greedy") -> dict[str, ProblemState]:
    """Each problem's strategy (code or language) and accuracy at one checkpoint.

    Args:
        frame: the responses of one checkpoint and benchmark.
        strategy: ``greedy`` (the sample with the lowest ``sample_idx`` decides both)
            or ``majority`` (code when at least half the samples are code; accuracy
            is the mean over samples).
    """
    if strategy not in STRATEGIES:
        raise ConfigError.bad_choice("--strategy", strategy, STRATEGIES)
    states = {}
    ordered = frame.sort_values(["problem_id", "sample_idx"], kind="stable")
    for pid, group in ordered.groupby(ordered["problem_id"].astype(str), sort=False):
        code, correct = _truthy(group["code"]), _truthy(group["correct"])
        if strategy == "greedy":
            states[pid] = ProblemState(bool(code[0]), float(correct[0]))
        else:
            states[pid] = ProblemState(bool(code.mean() >= 0.5), float(correct.mean()))
    return states


def transitions(start: pd.DataFrame, end: pd.DataFrame, strategy: str = "greedy") -> pd.DataFrame:
    """The per-problem transition table between two checkpoints (the paper's Table 2).

    Only problems present at both ends count. ``share_of_gain`` is the group's net
    change in correct answers divided by the net change over all problems (NaN when
    the overall change is zero).

    Returns:
        One row per group in :data:`TRANSITION_GROUPS`: ``transition``, ``count``,
        ``share`` (of problems), ``acc_start``, ``acc_end``, ``net_gain``, ``share_of_gain``.
    """
    before, after = problem_states(start, strategy), problem_states(end, strategy)
    common = [pid for pid in before if pid in after]
    total_gain = sum(after[p].accuracy - before[p].accuracy for p in common)
    rows = []
    for name in TRANSITION_GROUPS:
        members = [p for p in common if _group_name(before[p].code, after[p].code) == name]
        gain = sum(after[p].accuracy - before[p].accuracy for p in members)
        rows.append({
            "transition": name, "count": len(members),
            "share": len(members) / len(common) if common else np.nan,
            "acc_start": float(np.mean([before[p].accuracy for p in members])) if members else np.nan,
            "acc_end": float(np.mean([after[p].accuracy for p in members])) if members else np.nan,
            "net_gain": gain,
            "share_of_gain": gain / total_gain if total_gain else np.nan,
        })
    return pd.DataFrame(rows)


def _group_name(code_before: bool, code_after: bool) -> str:
    return f"{'Code' if code_before else 'Lang'}→{'Code' if code_after else 'Lang'}"


__all__ = [
    "DEFAULT_BOOTSTRAP", "DEFAULT_SEED", "STRATEGIES", "TRANSITION_GROUPS", "ProblemState",
    "bootstrap_ci", "ks_for", "majority_correct", "pass_at_k", "per_problem", "problem_states",
    "summarize", "transitions",
]
