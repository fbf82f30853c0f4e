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

import numpy as np
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
TABLE_SUFFIXES = (".csv", ".parquet")
# What a response is counted under: a second response with the same key is a duplicate.
RESPONSE_KEY = ["benchmark", "step", "problem_id", "sample_idx"]


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
        "step": row["step"], "checkpoint": _key_text(row, "checkpoint"), "benchmark": _key_text(row, "benchmark"),
        "problem_id": _key_text(row, "problem_id"), "sample_idx": int(row["sample_idx"]),
        "correct": correct, "pred": _escaped(grade["pred"]), "has_boxed": bool(grade["has_boxed"]),
        "grade_status": grade["grade_status"], "code": code,
        "code_ast": code_ast, "code_paper": code_paper, "stored_correct": stored, "mv_correct": grade["correct"],
        "has_gold": row.get("gold") is not None,
    }


def _key_text(row: dict, field: str) -> str | None:
    """A key field as text; a lone surrogate (which no table can store as UTF-8) is refused, naming it."""
    value = row.get(field)
    if value is None:
        return None
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        source = (row.get("provenance") or {}).get("source")
        where = f"problem {row.get('problem_id')!r}" + (f" in {source}" if source else "")
        raise ConfigError(f"field {field!r} of a response ({where}) holds a lone surrogate "
                          f"(U+{ord(text[exc.start]):04X}); tables cannot store it as UTF-8: fix the input") from None
    return text


def _escaped(pred: str | None) -> str | None:
    """The predicted answer, with a lone surrogate written as ``\\udXXX`` (it is only compared for votes)."""
    if pred is None:
        return None
    return pred.encode("utf-8", "backslashreplace").decode("utf-8")


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


def drop_duplicate_keys(responses: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Keep the first response of each :data:`RESPONSE_KEY`; say how many others were dropped.

    The same file given twice, or two files of one checkpoint that overlap, would
    otherwise count a response twice.

    Returns:
        The responses without duplicates, and a one-line note ("" when there were none).
    """
    repeated = responses.duplicated(RESPONSE_KEY, keep="first")
    n = int(repeated.sum())
    if not n:
        return responses, ""
    first = responses.loc[repeated].iloc[0]
    example = ", ".join(f"{k} {first[k]!r}" for k in RESPONSE_KEY)
    note = (f"{n} responses repeat a (benchmark, step, problem_id, sample_idx) key already read (first: {example}); "
            f"each key is counted once, from its first response: {len(responses) - n} of {len(responses)} kept")
    return responses.loc[~repeated].reset_index(drop=True), note


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
    """Write a table as ``.csv`` or ``.parquet`` (by suffix), replacing ``path`` only once it is complete."""
    from codereason.writers import replaced_on_success

    path = Path(path)
    if path.suffix not in TABLE_SUFFIXES:
        raise ConfigError(f"table {path}: suffix must be .csv or .parquet, got {path.suffix!r}")
    with replaced_on_success(path) as temp:
        if path.suffix == ".csv":
            table.to_csv(temp, index=False)
        else:
            table.to_parquet(temp, index=False)
    return path


# Columns of a step table that hold numbers; the rates among them lie in [0, 1].
NUMERIC_COLUMNS = ("step", "window", "n_problems", "n_responses", "samples_per_problem", "n_code", "n_lang",
                   "count", "start_step", "end_step", "net_gain", "share_of_gain")
RATE_COLUMNS = ("accuracy", "code_freq", "code_freq_paper", "acc_given_code", "acc_given_lang", "no_boxed_share",
                "stored_accuracy", "stored_agreement", "share", "acc_start", "acc_end")


def read_table(path: str | os.PathLike, required: Sequence[str] = (), kind: str = "track table") -> pd.DataFrame:
    """Read a table written by :func:`write_table`, refusing one that is not whole and well formed.

    Args:
        path: a ``.csv`` or ``.parquet`` table.
        required: columns it must have.
        kind: what the table is, for messages.

    Raises:
        InputFormatError: the file is missing, empty, truncated, ragged, lacks a
            required column, or holds a non-number (or a rate outside [0, 1]) in a
            numeric column; the message names the line or the column.
    """
    from codereason.errors import InputFormatError

    path = Path(path)
    hint = f"write one with `codereason track ... -o {path.name}`"
    if not path.is_file():
        raise InputFormatError(f"{path}: no such {kind}; {hint}")
    if path.suffix not in TABLE_SUFFIXES:
        raise InputFormatError(f"{path}: a {kind} is .csv or .parquet, got {path.suffix!r}")
    table = _read_parquet_table(path, kind) if path.suffix == ".parquet" else _read_csv_table(path, kind)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputFormatError(f"{path}: the {kind} lacks column {missing[0]!r} ({hint})")
    if table.empty:
        raise InputFormatError(f"{path}: the {kind} holds no rows ({hint})")
    _check_numbers(table, path)
    return table


def _read_parquet_table(path: Path, kind: str) -> pd.DataFrame:
    from codereason.errors import InputFormatError

    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        message = " ".join(str(exc).split())
        raise InputFormatError(f"{path}: not a readable Parquet {kind} ({type(exc).__name__}: {message})") from None


def _read_csv_table(path: Path, kind: str) -> pd.DataFrame:
    import csv

    from codereason.errors import InputFormatError

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFormatError(f"{path}: not UTF-8 text at byte {exc.start}; is this a CSV {kind}?") from None
    if not text.strip():
        raise InputFormatError(f"{path}: the {kind} is empty")
    if not text.endswith("\n"):
        raise InputFormatError(f"{path}: the last line has no line break: the {kind} looks truncated; write it again")
    try:
        reader = csv.reader(text.splitlines(keepends=True), strict=True)
        header = next(reader)
        for record in reader:
            if len(record) != len(header):
                raise InputFormatError(f"{path}:{reader.line_num}: {len(record)} fields where the header has "
                                       f"{len(header)}: the {kind} is ragged or truncated")
    except csv.Error as exc:
        raise InputFormatError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    return pd.read_csv(path, keep_default_na=True)


def _check_numbers(table: pd.DataFrame, path: Path) -> None:
    """Numeric columns hold numbers (NaN allowed: an empty group), rates lie in [0, 1]."""
    from codereason.errors import InputFormatError

    rates = set(RATE_COLUMNS) | {f"{c}_{end}" for c in RATE_COLUMNS for end in ("lo", "hi")}
    for column in table.columns:
        if column not in rates and column not in NUMERIC_COLUMNS and not column.startswith(("pass@", "maj@")):
            continue
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna() | ~np.isfinite(values.fillna(0).astype(float))
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputFormatError(f"{path}: row {row + 1}, column {column!r} holds {table[column].iloc[row]!r}, "
                                   "not a number")
        outside = (values < 0) | (values > 1) if column in rates or column.startswith(("pass@", "maj@")) else None
        if outside is not None and outside.any():
            row = int(outside.to_numpy().nonzero()[0][0])
            raise InputFormatError(f"{path}: row {row + 1}, column {column!r} holds {values.iloc[row]}, "
                                   "not a rate between 0 and 1")
        table[column] = values


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
    "RESPONSE_COLUMNS", "TrackOptions", "collect", "display_table", "drop_duplicate_keys", "iter_tracked_rows",
    "read_table", "step_table", "transition_table", "without_accuracy", "write_table",
]
