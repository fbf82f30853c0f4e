"""Track code reasoning and accuracy across training steps (what ``codereason track`` runs).

Each input is a rollout file or a directory of them. Every response is tagged
(reusing label fields already in the input) and graded (reusing grade fields
already in the input, else math-verify through the cache), then reduced to a
slim response table; :func:`step_table` turns that into one row per
(step, benchmark) with the metrics of :func:`codereason.metrics.summarize`, and
:func:`transition_table` compares two steps problem by problem.

The step of a response comes from its record, else from its path (``step50``,
``global_step_50``, ``checkpoint-50``, ``grpo_step_000050``, ``base`` = 0),
else from ``steps`` (one per input, in order). Responses without a benchmark
(training logs) are grouped under the input's name, so two runs stay apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pandas as pd

from codereason.classifier import MODES, classify_many
from codereason.errors import ConfigError
from codereason.grade import DEFAULT_TIMEOUT_S, GradeCache, GraderPool, grade_many, stored_correct
from codereason.io import infer_step, iter_input_files, read_rows
from codereason.metrics import DEFAULT_BOOTSTRAP, DEFAULT_SEED, STRATEGIES, summarize, transitions

BATCH = 1024
RESPONSE_COLUMNS = (
    "step", "checkpoint", "benchmark", "problem_id", "sample_idx", "correct", "pred", "has_boxed",
    "grade_status", "code", "code_ast", "code_paper", "stored_correct", "mv_correct", "has_gold",
)
TABLE_KEYS = ["step", "checkpoint", "benchmark", "mode"]


@dataclass
class TrackOptions:
    """How ``track`` reads, tags and grades.

    Attributes:
        mode: the classifier mode behind ``code`` (``ast``, ``paper`` or ``learned``).
        benchmarks: keep only these benchmarks (None: all).
        steps: one step per input, used when neither record nor path names one.
        require_boxed: unboxed answers are ``no_answer`` (count as wrong).
        use_stored_score: ``correct`` is the record's stored score where it has one;
            math-verify's verdict is kept in ``mv_correct`` for agreement.
        n_jobs: grading / tagging worker processes.
        timeout_s: grading seconds per response.
        cache: use the on-disk grade cache: True (the default directory), False,
            or a directory.
        format, text_field, id_field, gold_field, step_field, benchmark_field: passed to
            :func:`codereason.io.read_rows`.
    """

    mode: str = "ast"
    benchmarks: Sequence[str] | None = None
    steps: Sequence[int] | None = None
    require_boxed: bool = False
    use_stored_score: bool = False
    n_jobs: int = 1
    timeout_s: float = DEFAULT_TIMEOUT_S
    cache: bool | str | os.PathLike = True
    format: str | None = None
    text_field: str | None = None
    id_field: str | None = None
    gold_field: str | None = None
    step_field: str | None = None
    benchmark_field: str | None = None

    def check(self, n_inputs: int) -> None:
        """Raise ConfigError for a bad mode or a ``steps`` list of the wrong length."""
        if self.mode not in MODES:
            raise ConfigError.bad_choice("--mode", self.mode, MODES)
        if self.steps and len(self.steps) != n_inputs:
            raise ConfigError(f"--steps gives {len(self.steps)} steps for {n_inputs} inputs; give one per input")


# --------------------------------------------------------------- reading rows

def iter_tracked_rows(inputs: Sequence[str | os.PathLike], options: TrackOptions) -> Iterator[dict]:
    """Every response of every input, with ``step`` and ``benchmark`` resolved."""
    for position, source in enumerate(inputs):
        fallback = options.steps[position] if options.steps else None
        for path in iter_input_files(source):
            for row in read_rows(path, format=options.format, text_field=options.text_field, id_field=options.id_field,
                                 gold_field=options.gold_field, step_field=options.step_field,
                                 benchmark_field=options.benchmark_field):
                yield _resolve(row, path, Path(source), fallback)


def _resolve(row: dict, path: Path, source: Path, fallback: int | None) -> dict:
    step = row.get("step")
    if step is None:
        step = infer_step(path)
    if step is None:
        step = fallback
    if step is None:
        raise ConfigError(
            f"{path}: no training step in the record or the path; pass --steps (one per input)"
        )
    row["step"] = int(step)
    if not row.get("benchmark"):
        row["benchmark"] = source.name or str(source)
    return row


# ---------------------------------------------------------- tagging + grading

def _labels(rows: list[dict], mode: str) -> list[tuple[bool, bool, bool]]:
    """(code by ``mode``, ast code, paper code) per row, reusing label fields of the same mode.

    One classifier call gives all three: ``code_spans`` are the ``ast`` segments
    whatever the mode. Tagging runs in this process: it is ~100x faster than
    grading, so worker processes would cost more to start than they save.
    """
    todo = [i for i, r in enumerate(rows) if not _has_label(r, mode)]
    fresh = dict(zip(todo, classify_many([rows[i]["response"] for i in todo], mode=mode)))
    out = []
    for i, row in enumerate(rows):
        label = fresh[i].to_dict() if i in fresh else row
        out.append((bool(label["code_reasoning"]), bool(label["code_spans"]), bool(label["paper_code"])))
    return out


def _has_label(row: dict, mode: str) -> bool:
    """The row carries ``tag`` output made in ``mode``."""
    fields = ("code_reasoning", "code_spans", "paper_code")
    return all(row.get(f) is not None for f in fields) and row.get("mode", "ast") == mode


def _grades(rows: list[dict], options: TrackOptions, cache, pool) -> list[dict]:
    """Grade fields per row, reusing ``grade_status`` fields already present."""
    todo = [i for i, r in enumerate(rows) if r.get("grade_status") is None]
    fresh = grade_many([(rows[i].get("gold"), rows[i]["response"]) for i in todo],
                       require_boxed=options.require_boxed, cache=cache, pool=pool)
    graded = dict(zip(todo, fresh))
    out = []
    for i, row in enumerate(rows):
        g = graded[i].to_dict() if i in graded else {k: row.get(k) for k in ("correct", "pred", "has_boxed", "grade_status")}
        out.append(g)
    return out


def _slim(row: dict, grade: dict, label: tuple[bool, bool, bool], options: TrackOptions) -> dict:
    """The response-table row: keys, grade, labels (no text)."""
    stored = stored_correct(row.get("stored_score"))
    correct = grade["correct"]
    if options.use_stored_score and stored is not None:
        correct = stored
    code, code_ast, code_paper = label
    return {
        "step": row["step"], "checkpoint": row.get("checkpoint"), "benchmark": row["benchmark"],
        "problem_id": str(row["problem_id"]), "sample_idx": int(row["sample_idx"]),
        "correct": correct, "pred": grade["pred"], "has_boxed": bool(grade["has_boxed"]),
        "grade_status": grade["grade_status"], "code": code,
        "code_ast": code_ast, "code_paper": code_paper, "stored_correct": stored, "mv_correct": grade["correct"],
        "has_gold": row.get("gold") is not None,
    }


def collect(
    inputs: Sequence[str | os.PathLike],
    options: TrackOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Tag and grade every response of ``inputs`` into the slim response table.

    Args:
        inputs: rollout files or directories (one checkpoint or run each).
        options: see :class:`TrackOptions`.
        progress: called with the number of responses done after each batch.

    Returns:
        A DataFrame with :data:`RESPONSE_COLUMNS`.
    """
    options = options or TrackOptions()
    options.check(len(inputs))
    rows = iter_tracked_rows(inputs, options)
    if options.benchmarks:
        wanted = set(options.benchmarks)
        rows = (r for r in rows if r["benchmark"] in wanted)
    cache = None if options.cache is False else GradeCache(None if options.cache is True else options.cache)
    out: list[dict] = []
    try:
        with GraderPool(options.n_jobs, options.timeout_s) as pool:
            while batch := list(islice(rows, BATCH)):
                labels = _labels(batch, options.mode)
                grades = _grades(batch, options, cache, pool)
                out.extend(_slim(r, g, l, options) for r, g, l in zip(batch, grades, labels))
                if progress:
                    progress(len(batch))
    finally:
        if cache is not None:
            cache.close()
    return pd.DataFrame(out, columns=list(RESPONSE_COLUMNS))


# ------------------------------------------------------------------ the tables

def step_table(
    responses: pd.DataFrame, mode: str = "ast", window: int | None = None,
    n_boot: int = DEFAULT_BOOTSTRAP, seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """One row per (step, benchmark): every metric of :func:`codereason.metrics.summarize`.

    Args:
        responses: the table from :func:`collect`.
        mode: recorded in the ``mode`` column.
        window: when set, each step's row pools the responses of the last
            ``window`` steps of its benchmark (a trailing rolling window, for
            training logs with few samples per step); problems are then keyed by
            (step, problem) so each step's samples stay one cluster.
        n_boot, seed: bootstrap settings.
    """
    if window is not None and window < 1:
        raise ConfigError(f"--window must be a positive number of steps; got {window}")
    rows = []
    for benchmark, frame in responses.groupby("benchmark", sort=True):
        steps = sorted(frame["step"].unique())
        for i, step in enumerate(steps):
            part = _window_frame(frame, steps, i, window)
            checkpoint = frame.loc[frame["step"] == step, "checkpoint"].iloc[0]
            row = {"step": int(step), "checkpoint": checkpoint, "benchmark": benchmark, "mode": mode,
                   "window": window or 1, **summarize(part, n_boot, seed), **_stored_stats(part)}
            rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["benchmark", "step"], kind="stable").reset_index(drop=True) if len(table) else table


def without_accuracy(table: pd.DataFrame) -> pd.DataFrame:
    """The step table with every accuracy column blank: for inputs without gold answers, where 0 would be wrong."""
    table = table.copy()
    for column in table.columns:
        if column.startswith(("accuracy", "acc_", "pass@", "maj@")):
            table[column] = float("nan")
    return table


def _window_frame(frame: pd.DataFrame, steps: list, i: int, window: int | None) -> pd.DataFrame:
    if window is None:
        return frame[frame["step"] == steps[i]]
    chosen = steps[max(0, i - window + 1):i + 1]
    part = frame[frame["step"].isin(chosen)].copy()
    part["problem_id"] = part["step"].astype(str) + ":" + part["problem_id"].astype(str)
    return part


def _stored_stats(frame: pd.DataFrame) -> dict:
    """Accuracy by the stored score and its agreement with math-verify, where scores exist."""
    stored = frame["stored_correct"]
    has = stored.notna()
    if not has.any():
        return {}
    mv = frame.loc[has, "mv_correct"].map(lambda v: v is True)
    st = stored[has].map(lambda v: v is True)
    return {"stored_accuracy": float(st.mean()), "stored_agreement": float((mv == st).mean())}


def transition_table(
    responses: pd.DataFrame, start: int | None = None, end: int | None = None, strategy: str = "greedy",
) -> pd.DataFrame:
    """Transitions per benchmark between ``start`` and ``end`` (default: first and last step).

    ``strategy`` is ``greedy``, ``majority`` or ``auto`` (greedy for one sample per
    problem, majority otherwise).

    Benchmarks whose two steps share no problem (training logs, where each step
    draws new questions) are left out.

    Returns:
        The rows of :func:`codereason.metrics.transitions` with ``benchmark``,
        ``start_step``, ``end_step`` and ``strategy`` columns in front.
    """
    if strategy not in (*STRATEGIES, "auto"):
        raise ConfigError.bad_choice("--strategy", strategy, (*STRATEGIES, "auto"))
    parts = []
    for benchmark, frame in responses.groupby("benchmark", sort=True):
        how = strategy if strategy != "auto" else _auto_strategy(frame)
        steps = sorted(frame["step"].unique())
        first = steps[0] if start is None else start
        last = steps[-1] if end is None else end
        if first == last or first not in steps or last not in steps:
            continue
        table = transitions(frame[frame["step"] == first], frame[frame["step"] == last], how)
        if table["count"].sum() == 0:  # no problem at both ends (training logs): nothing to compare
            continue
        table.insert(0, "strategy", how)
        table.insert(0, "end_step", int(last))
        table.insert(0, "start_step", int(first))
        table.insert(0, "benchmark", benchmark)
        parts.append(table)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _auto_strategy(frame: pd.DataFrame) -> str:
    """``greedy`` when every problem has one sample, else ``majority``."""
    return "greedy" if frame.groupby(["step", "problem_id"]).size().max() == 1 else "majority"


# ----------------------------------------------------------------- file output

def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as ``.csv`` or ``.parquet`` (by suffix)."""
    path = Path(path)
    if path.suffix not in (".csv", ".parquet"):
        raise ConfigError(f"table {path}: suffix must be .csv or .parquet, got {path.suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)
    return path


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`write_table`."""
    path = Path(path)
    if not path.is_file():
        from codereason.errors import InputFormatError

        raise InputFormatError(f"{path}: no such table; write one with `codereason track ... -o {path.name}`")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def display_table(table: pd.DataFrame) -> str:
    """The step table as aligned text with percentages (what the CLI prints)."""
    if table.empty:
        return "(no responses)"
    show = ["benchmark", "step", "n_problems", "n_responses", "accuracy", "code_freq", "code_freq_paper",
            "acc_given_code", "acc_given_lang", "no_boxed_share"]
    show += [c for c in table.columns if c.startswith("pass@") and c != "pass@1"][-1:]
    show += [c for c in ("stored_agreement",) if c in table.columns]
    view = table[show].copy()
    for column in show[4:]:
        view[column] = view[column].map(lambda v: "" if pd.isna(v) else f"{100 * v:5.1f}%")
    return view.rename(columns={"code_freq": "code", "code_freq_paper": "paper", "acc_given_code": "acc|code",
                                "acc_given_lang": "acc|lang", "no_boxed_share": "no_box"}).to_string(index=False)


__all__ = [
    "RESPONSE_COLUMNS", "TrackOptions", "collect", "display_table", "iter_tracked_rows", "read_table",
    "step_table", "transition_table", "without_accuracy", "write_table",
]
