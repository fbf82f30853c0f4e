"""Compare runs side by side (rewards, prompt presets, models): a table and a figure.

``track`` answers "how does code use move across training steps"; a report
answers "how do these runs differ", e.g. the demo's six reward runs of the
miniature Spurious Rewards experiment. Input: one ``track`` table per run.
Output: ``table.csv`` (one row per run, benchmark and step, with a ``run``
column), ``report.md`` and ``comparison.png``: bars when every run has one
step, else code frequency and accuracy against the step, a line per run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from codereason.errors import ConfigError

# (column in a track table, heading in the report)
REPORT_COLUMNS = (
    ("n_responses", "responses"), ("code_freq", "code (ast)"), ("code_freq_paper", "code (paper)"),
    ("accuracy", "accuracy"), ("acc_given_code", "acc given code"), ("acc_given_lang", "acc given language"),
    ("no_boxed_share", "no \\boxed"),
)
# Every column a run's table must have.
TABLE_COLUMNS = ("benchmark", "step", *(column for column, _ in REPORT_COLUMNS))
# What a report folder holds: (file, suffix).
REPORT_FILES = (("report.md", ".md"), ("comparison.png", ".png"), ("table.csv", ".csv"))


def check_report_folder(output: str | os.PathLike, inputs=()) -> None:
    """Refuse an output folder that is a file, holds one of ``inputs`` as a report file, or cannot be written."""
    from codereason.writers import check_output_path

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ConfigError(f"-o {output} is a file; the report is a folder (report.md and comparison.png)")
    for name, suffix in REPORT_FILES:
        check_output_path(output / name, (suffix,), inputs)


def write_report(comparison: pd.DataFrame, output: str | os.PathLike) -> tuple[str, list[Path]]:
    """Write ``report.md``, ``comparison.png`` and ``table.csv`` into ``output``; each replaces its old self only
    when all three are complete.

    Returns:
        The markdown table and the three paths.
    """
    from codereason.writers import replaced_on_success

    output = Path(output)
    paths = [output / name for name, _ in REPORT_FILES]
    table = markdown_table(comparison)
    with replaced_on_success(paths[0]) as report_temp, replaced_on_success(paths[1]) as figure_temp, \
            replaced_on_success(paths[2]) as table_temp:
        if has_steps(comparison):
            plot_steps(comparison, figure_temp)
        else:
            plot_comparison(comparison, figure_temp)
        comparison_columns(comparison).to_csv(table_temp, index=False)
        report_temp.write_text("# codereason report\n\n" + table + "\n![comparison](comparison.png)\n",
                               encoding="utf-8")
    return table, paths


def comparison_columns(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison with ``run``, ``benchmark`` and ``step`` first."""
    first = ["run", "benchmark", "step"]
    return comparison[first + [c for c in comparison.columns if c not in first]]


def has_steps(comparison: pd.DataFrame) -> bool:
    """Whether some run has more than one step (a figure over steps, not bars)."""
    return bool((comparison.groupby("run")["step"].nunique() > 1).any())


def compare_runs(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (run, benchmark, step) with the report columns and their intervals."""
    frames = []
    for name, table in tables.items():
        missing = [c for c, _ in REPORT_COLUMNS if c not in table.columns]
        if missing:
            raise ConfigError(f"run {name!r}: table lacks column {missing[0]!r}; give tables written by codereason track")
        frames.append(table.assign(run=name))
    return pd.concat(frames, ignore_index=True)


def markdown_table(comparison: pd.DataFrame) -> str:
    """The comparison as a GitHub markdown table; rates as percentages."""
    head = ["run", "benchmark", "step", *(title for _, title in REPORT_COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, row in comparison.iterrows():
        cells = [str(row["run"]), str(row["benchmark"]), str(row["step"])]
        cells += [_cell(row.get(column), column) for column, _ in REPORT_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value, column: str) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value)}" if column.startswith("n_") else f"{100 * float(value):.1f}%"


def plot_comparison(comparison: pd.DataFrame, output: str | os.PathLike):
    """Grouped bars: code frequency, accuracy, accuracy given code / language per run, with 95% intervals."""
    import numpy as np

    plt = _pyplot()

    measures = [("code_freq", "code frequency"), ("accuracy", "accuracy"),
                ("acc_given_code", "accuracy | code"), ("acc_given_lang", "accuracy | language")]
    fig, ax = plt.subplots(figsize=(8, 4.2), constrained_layout=True)
    width = 0.8 / max(1, len(comparison))
    for i, (_, row) in enumerate(comparison.iterrows()):
        values = np.array([_value(row, m) for m, _ in measures])
        errors = np.array([[_value(row, m) - _value(row, f"{m}_lo"), _value(row, f"{m}_hi") - _value(row, m)]
                           for m, _ in measures]).T
        positions = np.arange(len(measures)) + (i - (len(comparison) - 1) / 2) * width
        bars = ax.bar(positions, 100 * values, width, yerr=100 * np.nan_to_num(errors), capsize=3, label=row["run"])
        ax.bar_label(bars, labels=[f"{100 * v:.0f}%" if not np.isnan(v) else "–" for v in values], fontsize=8)
    ax.set_xticks(np.arange(len(measures)), [title for _, title in measures])
    ax.set_ylabel("percent of responses")
    ax.set_ylim(0, 105)
    ax.legend(title="run")
    ax.set_title("Code reasoning and accuracy by run (95% bootstrap intervals)")
    return _saved(fig, output)


def plot_steps(comparison: pd.DataFrame, output: str | os.PathLike):
    """Code frequency and accuracy against the step, one line per run with its 95% band; a row per benchmark."""
    plt = _pyplot()
    benchmarks = sorted(comparison["benchmark"].astype(str).unique())
    measures = [("code_freq", "code frequency (ast)"), ("accuracy", "accuracy")]
    fig, axes = plt.subplots(len(benchmarks), 2, figsize=(10, 3.6 * len(benchmarks)), squeeze=False,
                             constrained_layout=True)
    for row, benchmark in zip(axes, benchmarks):
        part = comparison[comparison["benchmark"].astype(str) == benchmark]
        for ax, (measure, title) in zip(row, measures):
            for run, lines in part.groupby("run", sort=False):
                lines = lines.sort_values("step")
                drawn = ax.plot(lines["step"], 100 * lines[measure], marker="o", label=str(run))
                if f"{measure}_lo" in lines:
                    ax.fill_between(lines["step"], 100 * lines[f"{measure}_lo"], 100 * lines[f"{measure}_hi"],
                                    color=drawn[0].get_color(), alpha=0.12)
            ax.set_title(f"{benchmark}: {title}")
            ax.set_xlabel("training step")
            ax.set_ylabel("percent of responses")
            ax.set_ylim(bottom=0)
    axes[0][0].legend(title="run", fontsize=8)
    fig.suptitle("Code reasoning and accuracy over training steps (bands: 95% bootstrap intervals)")
    return _saved(fig, output)


def _pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _saved(fig, output: str | os.PathLike) -> Path:
    """Save ``fig`` to ``output`` (format from its suffix, PNG without one) and close it, also on failure."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(output, dpi=120, format=Path(output).suffix[1:] or "png")
    finally:
        plt.close(fig)
    return Path(output)


def _value(row, column: str) -> float:
    value = row.get(column)
    return float("nan") if value is None or pd.isna(value) else float(value)
