"""Figures from ``track`` tables (what ``codereason plot`` draws).

One figure, one column per benchmark:

1. code frequency (left axis) and accuracy (right axis) against step, with 95%
   bootstrap bands;
2. accuracy given code against accuracy given language, per step, with bands;
3. when a transition table is given, its four groups as bars (problem counts,
   labelled with each group's share of the accuracy gain).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from codereason.errors import ConfigError

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
CODE_COLOR, ACC_COLOR, LANG_COLOR = "#1f77b4", "#d62728", "#2ca02c"
TRANSITION_COLORS = {"Code→Code": "#1f77b4", "Code→Lang": "#9ecae1", "Lang→Code": "#ff7f0e", "Lang→Lang": "#bbbbbb"}
# Columns the figure draws from: of the step table, and of the transition table.
TRACK_COLUMNS = ("step", "benchmark", "accuracy", "code_freq", "acc_given_code", "acc_given_lang")
TRANSITION_COLUMNS = ("benchmark", "transition", "count", "share_of_gain", "acc_start", "acc_end", "net_gain",
                      "start_step", "end_step")


def plot_tracking(
    table: pd.DataFrame,
    output: str | os.PathLike,
    transitions: pd.DataFrame | None = None,
    title: str | None = None,
):
    """Draw the tracking figure and save it (format from the suffix).

    Args:
        table: a step table from :func:`codereason.track.step_table`.
        output: ``.png``, ``.svg`` or ``.pdf`` path.
        transitions: optional table from :func:`codereason.track.transition_table`.
        title: the figure title (default: built from the table's mode and steps).

    Returns:
        The matplotlib Figure (already saved).

    Raises:
        ConfigError: bad suffix or a table without the required columns.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from codereason.writers import replaced_on_success

    output = _check(table, output, transitions)
    benchmarks = sorted(table["benchmark"].unique())
    n_rows = 3 if transitions is not None and not transitions.empty else 2
    fig, axes = plt.subplots(n_rows, len(benchmarks), figsize=(4.6 * len(benchmarks) + 0.6, 3.6 * n_rows),
                             squeeze=False, constrained_layout=True)
    for column, benchmark in enumerate(benchmarks):
        part = table[table["benchmark"] == benchmark].sort_values("step")
        _frequency_panel(axes[0][column], part, benchmark)
        _conditional_panel(axes[1][column], part, benchmark)
        if n_rows == 3:
            _transition_panel(axes[2][column], transitions[transitions["benchmark"] == benchmark], benchmark)
    width = max(40, int((4.6 * len(benchmarks) + 0.6) * 7.5))  # bold 13 pt characters across the figure
    fig.suptitle(textwrap.fill(title or _default_title(table), width), fontsize=13, fontweight="bold")
    try:
        with replaced_on_success(output) as temp:
            fig.savefig(temp, dpi=120, format=output.suffix[1:])
    finally:
        plt.close(fig)
    return fig


def _check(table: pd.DataFrame, output, transitions: pd.DataFrame | None) -> Path:
    output = Path(output)
    if output.suffix not in FIGURE_SUFFIXES:
        raise ConfigError(f"figure {output}: suffix must be one of {', '.join(FIGURE_SUFFIXES)}, got {output.suffix!r}")
    for name, frame, required in (("table", table, TRACK_COLUMNS), ("transition table", transitions, TRANSITION_COLUMNS)):
        if frame is None:
            continue
        missing = [c for c in required if c not in frame.columns]
        if missing or (frame.empty and name == "table"):
            raise ConfigError(f"the {name} lacks {', '.join(missing) or 'rows'}; make it with "
                              "`codereason track ... -o TABLE.csv --transitions MOVES.csv`")
    return output


def _default_title(table: pd.DataFrame) -> str:
    mode = table["mode"].iloc[0] if "mode" in table.columns else "ast"
    steps = sorted(table["step"].unique())
    window = int(table["window"].max()) if "window" in table.columns else 1
    smoothing = f", rolling window {window} steps" if window > 1 else ""
    return f"Code reasoning vs accuracy over training (classifier: {mode}; steps {steps[0]}–{steps[-1]}{smoothing})"


def _band(ax, part: pd.DataFrame, name: str, color: str, label: str) -> None:
    """A line with markers and, when the table has ``name_lo``/``name_hi``, its CI band."""
    x = part["step"].to_numpy()
    y = part[name].to_numpy(dtype=float) * 100
    marker = "o" if len(x) <= 30 else None
    ax.plot(x, y, color=color, marker=marker, linewidth=2, label=label)
    if f"{name}_lo" in part.columns:
        low = part[f"{name}_lo"].to_numpy(dtype=float) * 100
        high = part[f"{name}_hi"].to_numpy(dtype=float) * 100
        ax.fill_between(x, low, high, color=color, alpha=0.15, linewidth=0)


def _frequency_panel(ax, part: pd.DataFrame, benchmark: str) -> None:
    _band(ax, part, "code_freq", CODE_COLOR, "code frequency")
    ax.set_ylabel("code frequency (%)", color=CODE_COLOR)
    ax.tick_params(axis="y", colors=CODE_COLOR)
    ax.set_ylim(0, 100)
    ax.set_xlabel("training step")
    twin = ax.twinx()
    _band(twin, part, "accuracy", ACC_COLOR, "accuracy")
    twin.set_ylabel("accuracy (%)", color=ACC_COLOR)
    twin.tick_params(axis="y", colors=ACC_COLOR)
    top = np.nanmax(part["accuracy_hi"] if "accuracy_hi" in part.columns else part["accuracy"]) * 100
    twin.set_ylim(0, min(100, max(10, top * 1.15)))
    n = _sample_note(part)
    ax.set_title(f"{benchmark}: code frequency and accuracy\n{n}", fontsize=10)
    lines = ax.get_lines()[:1] + twin.get_lines()[:1]
    ax.legend(lines, [l.get_label() for l in lines], loc="lower right", fontsize=8, framealpha=0.8)
    ax.grid(alpha=0.3)


def _sample_note(part: pd.DataFrame) -> str:
    """How many responses each point pools, e.g. ``500 responses per point``."""
    if "n_responses" not in part.columns:
        return ""
    n = int(part["n_responses"].max())
    window = int(part["window"].max()) if "window" in part.columns else 1
    return f"up to {n} responses per point (last {window} steps)" if window > 1 else f"{n} responses per point"


def _conditional_panel(ax, part: pd.DataFrame, benchmark: str) -> None:
    _band(ax, part, "acc_given_code", CODE_COLOR, "accuracy | code")
    _band(ax, part, "acc_given_lang", LANG_COLOR, "accuracy | language")
    ax.set_ylabel("accuracy (%)")
    ax.set_xlabel("training step")
    ax.set_ylim(0, 100)
    ax.set_title(f"{benchmark}: accuracy given strategy", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, framealpha=0.8)
    ax.grid(alpha=0.3)


def _transition_panel(ax, part: pd.DataFrame, benchmark: str) -> None:
    if part.empty:
        ax.set_axis_off()
        ax.set_title(f"{benchmark}: no transition (one step only)", fontsize=10)
        return
    names = part["transition"].tolist()
    bars = ax.bar(names, part["count"], color=[TRANSITION_COLORS.get(n, "grey") for n in names])
    columns = [part[c] for c in ("share_of_gain", "acc_start", "acc_end", "net_gain")]
    for bar, share, acc0, acc1, net in zip(bars, *columns):
        gain = "" if pd.isna(share) else f"{net:+.3g} correct\n{100 * share:.0f}% of gain\n"
        accs = "" if pd.isna(acc0) else f"acc {100 * acc0:.0f}→{100 * acc1:.0f}%"
        ax.annotate(gain + accs, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylim(0, part["count"].max() * 1.5 + 1)
    ax.set_ylabel("problems")
    first, last = int(part["start_step"].iloc[0]), int(part["end_step"].iloc[0])
    ax.set_title(f"{benchmark}: strategy change, step {first} → {last}", fontsize=10)
    ax.grid(axis="y", alpha=0.3)


__all__ = ["FIGURE_SUFFIXES", "TRACK_COLUMNS", "TRANSITION_COLUMNS", "plot_tracking"]
