"""Figures: rendered to real files, with the expected axes and non-empty lines."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import codereason.cli  # noqa: F401  (registers the commands)
from codereason.cli._app import app
from codereason.errors import ConfigError
from codereason.metrics import TRANSITION_GROUPS
from codereason.plot import plot_tracking


def _table(benchmarks=("MATH-500", "AMC"), steps=(0, 50, 200, 400, 1000)):
    rows = []
    for b, benchmark in enumerate(benchmarks):
        for i, step in enumerate(steps):
            values = {"accuracy": 0.3 + 0.1 * i - 0.05 * b, "code_freq": 0.5 + 0.08 * (-1) ** i,
                      "acc_given_code": 0.5 + 0.05 * i, "acc_given_lang": 0.2 + 0.1 * i}
            row = {"step": step, "checkpoint": f"step{step}", "benchmark": benchmark, "mode": "ast", "window": 1,
                   "n_responses": 500}
            for name, value in values.items():
                row.update({name: value, f"{name}_lo": value - 0.04, f"{name}_hi": value + 0.04})
            rows.append(row)
    return pd.DataFrame(rows)


def _transitions(benchmarks=("MATH-500", "AMC")):
    return pd.DataFrame([
        {"benchmark": b, "start_step": 0, "end_step": 1000, "strategy": "greedy", "transition": name,
         "count": 100 + 10 * i, "share": 0.25, "acc_start": 0.2, "acc_end": 0.7, "net_gain": 5.0 * i,
         "share_of_gain": i / 6}
        for b in benchmarks for i, name in enumerate(TRANSITION_GROUPS)
    ])


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_figure_files_have_the_expected_panels(tmp_path, suffix):
    out = tmp_path / f"fig{suffix}"
    fig = plot_tracking(_table(), out, _transitions())
    assert out.is_file() and out.stat().st_size > 5_000
    # Per benchmark: frequency panel + its twin accuracy axis, the conditional panel, the bars.
    assert len(fig.axes) == 2 * 4
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    assert len(lines) == 2 * 4  # code freq, accuracy, acc|code, acc|lang per benchmark
    assert all(len(line.get_xdata()) == 5 for line in lines)
    bars = [patch for ax in fig.axes for patch in ax.patches]
    assert len(bars) == 2 * len(TRANSITION_GROUPS)
    assert fig.axes[0].get_ylabel() == "code frequency (%)"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "AMC: code frequency and accuracy\n500 responses per point",
        "MATH-500: code frequency and accuracy\n500 responses per point",
        "AMC: accuracy given strategy", "MATH-500: accuracy given strategy",
        "AMC: strategy change, step 0 → 1000", "MATH-500: strategy change, step 0 → 1000",
        "", "",  # the twin accuracy axes
    ]


def test_figure_without_transitions_has_two_rows(tmp_path):
    fig = plot_tracking(_table(benchmarks=("MATH-500",)), tmp_path / "f.png")
    assert len(fig.axes) == 3
    assert fig._suptitle.get_text().startswith("Code reasoning vs accuracy")


@pytest.mark.parametrize("table, output, message", [
    (_table(), "fig.jpg", "suffix"),
    (pd.DataFrame({"step": [0]}), "fig.png", "lacks"),
])
def test_bad_inputs_are_config_errors(tmp_path, table, output, message):
    with pytest.raises(ConfigError, match=message):
        plot_tracking(table, tmp_path / output)


def test_cli_plot(tmp_path):
    table, moves, out = tmp_path / "t.csv", tmp_path / "m.csv", tmp_path / "fig.png"
    _table().to_csv(table, index=False)
    _transitions().to_csv(moves, index=False)
    result = CliRunner().invoke(app, ["plot", str(table), "-o", str(out), "--transitions", str(moves)])
    assert result.exit_code == 0, result.output
    assert "(8 axes)" in result.output and out.is_file()
