"""Compare runs side by side (prompt presets, models): a markdown table and a bar figure.

``track`` answers "how does code use move across training steps"; a report
answers "how do these runs differ", e.g. the demo's ``plain`` and ``python``
presets on one model. Input: one ``track`` table per run.
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


def check_report_folder(output: str | os.PathLike, inputs=()) -> None:
    """Refuse an output folder that is a file, holds one of ``inputs`` as report.md, or cannot be written."""
    from codereason.writers import check_output_path

    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ConfigError(f"-o {output} is a file; the report is a folder (report.md and comparison.png)")
    check_output_path(output / "report.md", (".md",), inputs)
    check_output_path(output / "comparison.png", (".png",), inputs)


def write_report(comparison: pd.DataFrame, output: str | os.PathLike) -> tuple[str, Path, Path]:
    """Write ``report.md`` and ``comparison.png`` into ``output``; each replaces its old self only when complete.

    Returns:
        The markdown table and the two paths.
    """
    from codereason.writers import replaced_on_success

    output = Path(output)
    report, figure = output / "report.md", output / "comparison.png"
    table = markdown_table(comparison)
    with replaced_on_success(report) as report_temp, replaced_on_success(figure) as figure_temp:
        plot_comparison(comparison, figure_temp)
        report_temp.write_text("# codereason report\n\n" + table + "\n![comparison](comparison.png)\n",
                               encoding="utf-8")
    return table, report, figure


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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

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
    try:
        fig.savefig(output, dpi=120, format=Path(output).suffix[1:] or "png")
    finally:
        plt.close(fig)
    return Path(output)


def _value(row, column: str) -> float:
    value = row.get(column)
    return float("nan") if value is None or pd.isna(value) else float(value)
