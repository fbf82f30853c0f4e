"""The responses behind ``track``'s numbers, with their texts, sampled to fit one page.

:func:`view_responses` runs :func:`codereason.track.collect` (the same tagging and
grading as ``codereason track``) and joins each slim row with its text, gold
answer and prompt, read again in the same order; a key that does not line up is
an error, never a silent shift. :func:`sample_responses` keeps at most
``max_responses`` rows, drawn per (step, benchmark, label) in proportion to the
group sizes, and says how many it kept of each group. :func:`problem_states`
gives each problem's strategy at each step, from all responses, for the page's
transition filter.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from codereason.errors import CodeReasonError, ConfigError
from codereason.metrics import STRATEGIES
from codereason.track import TrackOptions, collect, iter_tracked_rows

KEY_COLUMNS = ("step", "benchmark", "problem_id", "sample_idx")
TEXT_COLUMNS = ("response", "gold", "prompt")
SAMPLE_GROUP = ["step", "benchmark", "code"]


def view_responses(
    inputs: Sequence[str | os.PathLike],
    options: TrackOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """The response table of :func:`codereason.track.collect` plus ``response``, ``gold`` and ``prompt``.

    Raises:
        CodeReasonError: the inputs changed between the two reads (counts or keys differ).
    """
    options = options or TrackOptions()
    frame = collect(inputs, options, progress)
    texts = list(_text_rows(inputs, options))
    if len(texts) != len(frame):
        raise CodeReasonError(f"the inputs gave {len(frame)} responses, then {len(texts)} on a second read; "
                              "were they written to while `view` ran? Run it again once they are complete")
    _check_keys(frame, texts)
    for column in TEXT_COLUMNS:
        frame[column] = [row[column] for row in texts]
    return frame


def _text_rows(inputs, options: TrackOptions) -> Iterable[dict]:
    """Keys and texts of every response, in :func:`collect`'s order and with its benchmark filter."""
    wanted = set(options.benchmarks) if options.benchmarks else None
    for row in iter_tracked_rows(inputs, options):
        if wanted is None or row["benchmark"] in wanted:
            yield {"step": row["step"], "benchmark": row["benchmark"], "problem_id": str(row["problem_id"]),
                   "sample_idx": int(row["sample_idx"]), "response": _text(row.get("response")),
                   "gold": row.get("gold"), "prompt": _text(row.get("prompt"))}


def _text(value) -> str:
    return "" if value is None else str(value)


def _check_keys(frame: pd.DataFrame, texts: list[dict]) -> None:
    for position, (slim, row) in enumerate(zip(frame[list(KEY_COLUMNS)].itertuples(index=False), texts)):
        if tuple(slim) != tuple(row[k] for k in KEY_COLUMNS):
            raise CodeReasonError(f"response {position}: the second read gave key {tuple(row[k] for k in KEY_COLUMNS)} "
                                  f"where the first gave {tuple(slim)}; were the inputs changed while `view` ran?")


def sample_responses(frame: pd.DataFrame, max_responses: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """At most ``max_responses`` rows, drawn per (step, benchmark, label) in proportion to group size.

    Quotas are split by largest remainder, so they sum to ``max_responses``
    exactly; the kept rows stay in input order.

    Returns:
        ``(kept rows, counts)``: counts has one row per group with ``shown`` and ``total``.

    >>> frame = pd.DataFrame({"step": [0] * 10, "benchmark": ["b"] * 10, "code": [True] * 7 + [False] * 3})
    >>> kept, counts = sample_responses(frame, 5)
    >>> counts[["code", "shown", "total"]].values.tolist()
    [[False, 2, 3], [True, 3, 7]]
    """
    if max_responses < 1:
        raise ConfigError(f"--max-responses must be at least 1; got {max_responses}")
    sizes = frame.groupby(SAMPLE_GROUP, sort=True).size().rename("total").reset_index()
    if len(frame) <= max_responses:
        return frame, sizes.assign(shown=sizes["total"])[[*SAMPLE_GROUP, "shown", "total"]]
    quotas = _largest_remainder(sizes["total"].to_numpy(), max_responses)
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for (_, group), quota in zip(frame.groupby(SAMPLE_GROUP, sort=True), quotas):
        keep.append(rng.choice(group.index.to_numpy(), size=quota, replace=False))
    kept = frame.loc[np.sort(np.concatenate(keep))]
    return kept, sizes.assign(shown=quotas)[[*SAMPLE_GROUP, "shown", "total"]]


def _largest_remainder(sizes: np.ndarray, budget: int) -> np.ndarray:
    """Integer quotas proportional to ``sizes``, summing to ``budget`` (each at most its size)."""
    exact = sizes * budget / sizes.sum()
    quotas = np.floor(exact).astype(int)
    for index in np.argsort(-(exact - quotas), kind="stable")[: budget - quotas.sum()]:
        quotas[index] += 1
    return np.minimum(quotas, sizes)


def problem_states(frame: pd.DataFrame, strategy: str = "auto") -> dict[tuple[str, str], dict[int, bool]]:
    """``{(benchmark, problem_id): {step: code}}``: each problem's strategy at each step it was asked.

    ``strategy`` is as for :func:`codereason.track.transition_table`: ``greedy``
    (the sample with the lowest ``sample_idx`` decides), ``majority`` (code when at
    least half the samples are code) or ``auto`` (greedy for one sample per problem
    and step, else majority). The rule of :func:`codereason.metrics.problem_states`,
    computed for every group at once.
    """
    if strategy not in (*STRATEGIES, "auto"):
        raise ConfigError.bad_choice("--strategy", strategy, (*STRATEGIES, "auto"))
    ordered = frame.assign(problem_id=frame["problem_id"].astype(str), code=frame["code"].astype(bool))
    ordered = ordered.sort_values(["benchmark", "step", "problem_id", "sample_idx"], kind="stable")
    codes = ordered.groupby(["benchmark", "step", "problem_id"], sort=False)["code"]
    first, share = codes.first(), codes.mean()
    how = {b: strategy if strategy != "auto" else resolve_strategy(part) for b, part in frame.groupby("benchmark")}
    states: dict[tuple[str, str], dict[int, bool]] = {}
    for (benchmark, step, problem_id), code, fraction in zip(first.index, first.to_numpy(), share.to_numpy()):
        value = bool(code) if how[benchmark] == "greedy" else bool(fraction >= 0.5)
        states.setdefault((benchmark, problem_id), {})[int(step)] = value
    return states


def resolve_strategy(frame: pd.DataFrame) -> str:
    """``greedy`` when every problem has one sample per step, else ``majority`` (as ``track`` decides)."""
    return "greedy" if frame.groupby(["step", "problem_id"]).size().max() == 1 else "majority"


__all__ = ["problem_states", "resolve_strategy", "sample_responses", "view_responses"]
