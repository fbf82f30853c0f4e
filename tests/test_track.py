"""The step tracker: steps from records/paths/--steps, label reuse, windows, the CLI, real data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import codereason.cli  # noqa: F401  (registers the commands)
from codereason.cli._app import app
from codereason.errors import ConfigError
from codereason.track import TrackOptions, collect, step_table, transition_table

CODE = "Let me compute.\n```python\nx = 2 + 2\nprint(x)\n```\nSo the answer is \\boxed{4}."
PROSE = "Two plus two is four, so the answer is \\boxed{4}."
WRONG = "I believe it is \\boxed{5}."


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEREASON_CACHE", str(tmp_path / "cache"))


def _write(path, responses, **extra):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"problem_id": f"q{i}", "sample_idx": 0, "response": r, "gold": "4", "benchmark": "toy", **extra}
            for i, r in enumerate(responses)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_steps_come_from_paths_and_tables_follow(tmp_path):
    base = _write(tmp_path / "run" / "base" / "r.jsonl", [CODE, PROSE, WRONG, WRONG])
    later = _write(tmp_path / "run" / "global_step_50" / "r.jsonl", [CODE, CODE, CODE, PROSE])
    responses = collect([base.parent, later.parent], TrackOptions(n_jobs=1))
    table = step_table(responses, n_boot=100).set_index("step")
    assert table.loc[0, "code_freq"] == pytest.approx(0.25) and table.loc[50, "code_freq"] == pytest.approx(0.75)
    assert table.loc[0, "accuracy"] == pytest.approx(0.5) and table.loc[50, "accuracy"] == pytest.approx(1.0)
    assert table.loc[0, "acc_given_lang"] == pytest.approx(1 / 3)
    moves = transition_table(responses).set_index("transition")["count"].to_dict()
    assert moves == {"Code→Code": 1, "Code→Lang": 0, "Lang→Code": 2, "Lang→Lang": 1}


def test_steps_option_when_path_has_none(tmp_path):
    first = _write(tmp_path / "a" / "r.jsonl", [CODE])
    second = _write(tmp_path / "b" / "r.jsonl", [PROSE])
    with pytest.raises(ConfigError, match="--steps"):
        collect([first, second])
    responses = collect([first, second], TrackOptions(steps=[10, 20]))
    assert responses["step"].tolist() == [10, 20]
    with pytest.raises(ConfigError, match="one per input"):
        collect([first, second], TrackOptions(steps=[10]))


def test_existing_labels_and_grades_are_reused(tmp_path):
    # Deliberately wrong stored labels/grades prove they were read, not recomputed.
    path = _write(tmp_path / "step7" / "r.jsonl", [PROSE], code_reasoning=True, code_spans=[[0, 5]], paper_code=True, mode="ast",
                  correct=False, pred="5", has_boxed=True, grade_status="ok")
    row = collect([path]).iloc[0]
    assert (row["code"], row["code_ast"], row["code_paper"], row["correct"], row["step"]) == (True, True, True, False, 7)
    relabelled = collect([path], TrackOptions(mode="paper")).iloc[0]  # labels of another mode are not reused
    assert (relabelled["code"], relabelled["code_ast"], relabelled["code_paper"]) == (False, False, False)


def test_learned_mode_sets_code_and_keeps_ast_and_paper(tmp_path):
    path = _write(tmp_path / "step1" / "r.jsonl", [CODE, PROSE, "We could use python here, but we will not."])
    responses = collect([path], TrackOptions(mode="learned"))
    assert responses["code_ast"].tolist() == [True, False, False]
    assert responses["code_paper"].tolist() == [True, False, True]
    assert responses["code"].tolist()[:2] == [True, False]


def test_rolling_window_pools_previous_steps(tmp_path):
    paths = [_write(tmp_path / f"step{s}" / "r.jsonl", [CODE if s < 3 else PROSE] * 2) for s in range(1, 5)]
    table = step_table(collect(paths), window=2, n_boot=50)
    assert table["code_freq"].tolist() == [1.0, 1.0, 0.5, 0.0]
    assert table["n_responses"].tolist() == [2, 4, 4, 4]
    with pytest.raises(ConfigError, match="--window"):
        step_table(collect(paths), window=0)


def test_verl_dumps_tracked_with_window_and_stored_scores(tmp_path):
    """A verl rollout dump folder: one ``{step}.jsonl`` per step, step and score in each record."""
    run = tmp_path / "verl_run"
    run.mkdir()
    for step in (10, 20, 30):
        records = [{"input": f"Q{step}-{i}: 2+2?", "output": CODE if step == 10 else PROSE, "gts": "4",
                    "score": 1.0 if i else 0.0, "step": step} for i in range(4)]
        (run / f"{step}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    responses = collect([run], TrackOptions(use_stored_score=True))
    table = step_table(responses, window=2, n_boot=20)
    assert table["benchmark"].unique().tolist() == ["verl_run"]  # no benchmark in the dump: the run's name
    assert table["code_freq"].tolist() == [1.0, 0.5, 0.0]
    assert table["accuracy"].tolist() == [0.75, 0.75, 0.75]  # the stored score, not math-verify (all right)
    assert table["stored_agreement"].tolist() == [0.75, 0.75, 0.75]
    assert transition_table(responses).empty  # each step asks new questions


def test_cli_track_writes_table_and_transitions(tmp_path):
    base = _write(tmp_path / "base" / "r.jsonl", [CODE, PROSE])
    final = _write(tmp_path / "step100" / "r.jsonl", [PROSE, CODE])
    out, moves = tmp_path / "t.csv", tmp_path / "moves.csv"
    result = CliRunner().invoke(app, ["track", str(base.parent), str(final.parent), "-o", str(out),
                                      "--transitions", str(moves), "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    assert "toy" in result.output and "acc|code" in result.output
    import pandas as pd

    assert pd.read_csv(out)["step"].tolist() == [0, 100]
    assert pd.read_csv(moves)["count"].tolist() == [0, 1, 1, 0]


# ------------------------------------------------------------------ real data

@pytest.fixture(scope="module")
def spurious_responses(spurious_results, tmp_path_factory):
    """All 8,220 responses, tagged and graded like the original harness (boxed answers only)."""
    inputs = [spurious_results / name for name in ("base", "step50", "step200", "step400", "step1000")]
    return collect(inputs, TrackOptions(n_jobs=2, require_boxed=True, cache=tmp_path_factory.mktemp("grade-cache")))


STEPS = [0, 50, 200, 400, 1000]


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_math500_code_frequency_per_step(spurious_responses):
    table = step_table(spurious_responses, n_boot=100).query("benchmark == 'MATH-500'").set_index("step")
    # The paper's own rule ("python" in text) counts one base answer more than the parser does:
    # "Let's solve the problem step-by-step using Python and SymPy." followed by no code.
    assert table.loc[STEPS, "code_freq_paper"].round(3).tolist() == [0.550, 0.808, 0.480, 0.818, 0.472]
    assert table.loc[STEPS, "code_freq_ast"].round(3).tolist() == [0.548, 0.808, 0.480, 0.818, 0.472]
    assert (table["n_responses"] == 500).all()


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_math500_accuracy_close_to_stored_avg1(spurious_responses, spurious_results):
    """math-verify vs the files' Qwen-harness grader: within 2 points at every step.

    The original ``eval_checkpoint.py`` graded with Qwen's ``extract_answer`` +
    ``grade_answer``; math-verify on the last box accepts a few more equivalent
    forms (+1.4 to +1.6 points on trained steps) and, with boxed answers
    required, rejects the base model's unboxed ones (-2.0 points at step 0).
    """
    table = step_table(spurious_responses, n_boot=0).query("benchmark == 'MATH-500'").set_index("step")
    stored = {}
    for path in spurious_results.glob("*/*MATH-500.json"):
        header = json.loads(path.read_text())
        stored[0 if path.parent.name == "base" else int(path.parent.name[4:])] = header["avg@1"]
    diffs = np.array([table.loc[s, "accuracy"] - stored[s] for s in STEPS])
    assert np.abs(diffs).max() <= 0.0201, diffs
    assert (diffs[1:] > 0).all()  # trained steps: math-verify is the more lenient grader


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_code_is_more_accurate_than_language_at_base(spurious_responses):
    table = step_table(spurious_responses, n_boot=500).query("benchmark == 'MATH-500' and step == 0").iloc[0]
    assert table["acc_given_code"] > table["acc_given_lang"] + 0.2
    assert table["acc_given_code_lo"] > table["acc_given_lang_hi"]  # the intervals do not even overlap


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_pass_at_8_matches_the_files(spurious_responses, spurious_results):
    """pass@8 graded like the files (boxed answers only): exact on 13 of 15 files, never off by more than 1 problem."""
    table = step_table(spurious_responses, n_boot=0).set_index(["benchmark", "step"])
    exact, worst = 0, 0.0
    for path in spurious_results.glob("*/*.json"):
        header = json.loads(path.read_text())
        if "pass@8" not in header:
            continue
        step = 0 if path.parent.name == "base" else int(path.parent.name[4:])
        row = table.loc[(header["dataset"], step)]
        exact += row["pass@8"] == pytest.approx(header["pass@8"])
        worst = max(worst, abs(row["pass@8"] - header["pass@8"]) * row["n_problems"])
    assert exact >= 13 and worst <= 1.0 + 1e-9


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_training_log_with_rolling_window(realdata):
    run = realdata / "cs336-grpo-qwen1p5b-rollouts" / "question_only"
    responses = collect([run], TrackOptions(n_jobs=2, use_stored_score=True))
    table = step_table(responses, window=25, n_boot=50)
    assert table["benchmark"].unique().tolist() == ["question_only"]
    assert len(table) == 200 and table["n_responses"].max() == 200
    by_step = table.set_index("step")
    assert by_step.loc[25, "code_freq"] > by_step.loc[200, "code_freq"] + 0.2  # code use falls in this run
    assert by_step["stored_agreement"].min() > 0.95


@pytest.mark.slow  # full real data: out of make test-fast
@pytest.mark.realdata
def test_cli_track_over_the_spurious_checkpoints(spurious_results, tmp_path):
    """The command as a user runs it: one directory per checkpoint, paper mode, MATH-500 only."""
    import pandas as pd

    out = tmp_path / "math500.csv"
    inputs = [str(spurious_results / name) for name in ("base", "step50", "step200", "step400", "step1000")]
    result = CliRunner().invoke(app, ["track", *inputs, "--benchmark", "MATH-500", "--mode", "paper",
                                      "--require-boxed", "-j", "2", "--bootstrap", "100", "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("step")
    assert table.loc[STEPS, "code_freq"].round(3).tolist() == [0.550, 0.808, 0.480, 0.818, 0.472]
    assert table["benchmark"].unique().tolist() == ["MATH-500"]
    assert "MATH-500" in result.output and "55.0%" in result.output
