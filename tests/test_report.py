"""``codereason report``: runs side by side from track tables."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import codereason.cli  # noqa: F401
from codereason.cli._app import app
from codereason.errors import ConfigError
from codereason.report import compare_runs, has_steps, markdown_table


def track_like(code: float, accuracy: float, step: int = 0) -> pd.DataFrame:
    row = {"step": step, "checkpoint": "m", "benchmark": "codereason-100", "n_responses": 400}
    for name, value in {"code_freq": code, "code_freq_paper": code, "accuracy": accuracy, "acc_given_code": 0.5,
                        "acc_given_lang": None, "no_boxed_share": 0.25}.items():
        row[name] = value
        row[f"{name}_lo"] = None if value is None else value - 0.05
        row[f"{name}_hi"] = None if value is None else value + 0.05
    return pd.DataFrame([row])


def test_markdown_table_has_one_row_per_run() -> None:
    table = markdown_table(compare_runs({"plain": track_like(0.1, 0.2), "python": track_like(0.9, 0.3)}))
    lines = table.strip().splitlines()
    assert len(lines) == 4
    assert lines[2].startswith("| plain | codereason-100 | 0 | 400 | 10.0% |")
    assert "| 90.0% |" in lines[3] and "–" in lines[3]  # acc given language is undefined


def test_tables_without_track_columns_are_refused() -> None:
    with pytest.raises(ConfigError, match="lacks column 'n_responses'"):
        compare_runs({"x": pd.DataFrame([{"step": 0}])})


def test_report_command_writes_markdown_and_figure(tmp_path) -> None:
    track_like(0.1, 0.2).to_csv(tmp_path / "a.csv", index=False)
    track_like(0.9, 0.3).to_csv(tmp_path / "b.csv", index=False)
    result = CliRunner().invoke(app, ["report", f"plain={tmp_path / 'a.csv'}", f"python={tmp_path / 'b.csv'}",
                                      "-o", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rep" / "comparison.png").stat().st_size > 10_000
    assert "| python |" in (tmp_path / "rep" / "report.md").read_text()
    bad = CliRunner().invoke(app, ["report", "no-equals-sign", "-o", str(tmp_path / "rep")])
    assert bad.exit_code != 0 and "NAME=TABLE.csv" in str(bad.exception)


def test_runs_over_steps_are_drawn_against_the_step(tmp_path) -> None:
    runs = {"random": pd.concat([track_like(0.2, 0.1, 0), track_like(0.3, 0.1, 4)]),
            "ground_truth": pd.concat([track_like(0.2, 0.1, 0), track_like(0.1, 0.2, 4)])}
    for name, frame in runs.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    assert has_steps(compare_runs(runs)) and not has_steps(compare_runs({"x": track_like(0.1, 0.2)}))
    result = CliRunner().invoke(app, ["report", *(f"{n}={tmp_path / n}.csv" for n in runs), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "r" / "table.csv")
    assert table[["run", "step", "code_freq"]].values.tolist() == [
        ["random", 0, 0.2], ["random", 4, 0.3], ["ground_truth", 0, 0.2], ["ground_truth", 4, 0.1]]
    assert (tmp_path / "r" / "comparison.png").stat().st_size > 10_000
