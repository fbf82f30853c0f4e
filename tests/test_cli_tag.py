"""``codereason tag`` and ``eval-classifier`` through the real CLI."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import codereason.cli  # noqa: F401  (registers the commands)
from codereason.cli._app import app
from codereason.io import read_rows

runner = CliRunner()


def write_harness(path, responses):
    path.write_text(json.dumps({"idx": 0, "gt": "4", "question": "2+2?", "code": responses}) + "\n")
    return path


def test_tag_writes_every_record_with_labels(tmp_path) -> None:
    source = write_harness(tmp_path / "in.jsonl", ["```python\nprint(2 + 2)\n```", "It is 4.", "Python says 4."])
    result = runner.invoke(app, ["tag", str(source), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    rows = list(read_rows(tmp_path / "out.jsonl"))
    assert [r["code_reasoning"] for r in rows] == [True, False, False]
    assert [r["paper_code"] for r in rows] == [True, False, True]
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.split()[-4:] == ["n", "code_freq", "paper_freq", "agreement"])
    header, overall = lines[at].split(), lines[at + 1].split()
    assert header[-4:] == ["n", "code_freq", "paper_freq", "agreement"]
    # 1 of 3 is code, 2 of 3 mention Python, and the two rules agree on 2 of 3
    assert overall == ["all", "3", "0.333", "0.667", "0.667"], result.output


def test_tag_parquet_output_and_paper_mode(tmp_path) -> None:
    source = write_harness(tmp_path / "in.jsonl", ["Python says 4.", "It is 4."])
    result = runner.invoke(app, ["tag", str(source), "--mode", "paper", "-o", str(tmp_path / "out.parquet")])
    assert result.exit_code == 0, result.output
    assert [r["code_reasoning"] for r in read_rows(tmp_path / "out.parquet")] == [True, False]


def test_tag_generic_text_field_with_two_jobs(tmp_path) -> None:
    source = tmp_path / "gen.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["x = f(1)\nprint(x)", "prose"] * 3000))
    result = runner.invoke(app, ["tag", str(source), "--text-field", "text", "-j", "2", "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    assert [r["code_reasoning"] for r in read_rows(tmp_path / "o.jsonl")] == [True, False] * 3000


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_user_errors_exit_2_with_one_line(tmp_path, jobs) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem_id": "1", "sample_idx": 0, "response": "a"}\n{"problem_id": "2", "sample_idx": 0}\n')
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([sys.executable, "-m", "codereason", "tag", str(bad), "--format", "codereason", "-j", jobs,
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f"error: {bad}:2: missing field 'response'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert [row["problem_id"] for row in read_rows(out)] == ["1"]  # the record before the bad one is kept


@pytest.mark.parametrize("command", [["tag", "--text-field", "text"], ["grade", "--text-field", "text"]])
def test_an_output_that_is_also_an_input_is_refused_and_left_alone(tmp_path, command) -> None:
    source = tmp_path / "rollouts.jsonl"
    source.write_text('{"text": "x = f(1)\\nprint(x)", "gold": "1"}\n')
    before = source.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "codereason", command[0], str(tmp_path), *command[1:], "-o", str(source)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "is also an input" in proc.stderr, proc.stderr
    assert source.read_bytes() == before


def test_skip_bad_writes_a_side_file(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem_id": "1", "sample_idx": 0, "response": "a"}\n{"problem_id": "2", "sample_idx": 0}\n')
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["tag", str(bad), "--format", "codereason", "--skip-bad", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped 1 bad records" in result.output
    side = [json.loads(line) for line in open(f"{out}.bad.jsonl")]
    assert side[0]["line"] == 2 and "missing field 'response'" in side[0]["error"]
    assert len(list(read_rows(out))) == 1


def test_the_side_file_describes_this_run_only(tmp_path) -> None:
    """A side file left by an earlier run is replaced, also by an empty one; a run that fails before any
    bad record leaves it as it was; no temporary file is left either way."""
    good = tmp_path / "good.jsonl"
    good.write_text('{"problem_id": "1", "sample_idx": 0, "response": "a"}\n')
    out = tmp_path / "out.jsonl"
    side = tmp_path / "out.jsonl.bad.jsonl"
    side.write_text('{"source": "an earlier run", "line": 9}\n')
    result = runner.invoke(app, ["tag", str(good), "--skip-bad", "-o", str(out)])
    assert result.exit_code == 0 and "skipped 0 bad records" in result.output, result.output
    assert side.read_text() == ""
    side.write_text('{"source": "an earlier run", "line": 9}\n')
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"what": "no known fields"}\n')
    result = runner.invoke(app, ["tag", str(good), str(unknown), "--skip-bad", "-o", str(out)])
    assert "cannot tell the format" in str(result.exception)
    assert side.read_text() == '{"source": "an earlier run", "line": 9}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.jsonl", "out.jsonl", "out.jsonl.bad.jsonl", "unknown.jsonl"]


def test_help_explains_modes() -> None:
    result = runner.invoke(app, ["tag", "--help"])
    assert result.exit_code == 0
    assert "paper" in result.output and "--text-field" in result.output


@pytest.mark.realdata
def test_eval_classifier_gives_the_numbers_the_readme_quotes(realdata) -> None:
    """The README's "Measured quality" rows (n, precision, recall, F1), recomputed with the command it names."""
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    labels = sorted((repo / "data" / "labels").glob("dev-*.jsonl")) + sorted((repo / "data" / "labels").glob("indep-*.jsonl"))
    readme = (repo / "README.md").read_text(encoding="utf-8")
    from codereason.classifier import RULES_VERSION

    row = rf"^\| `(ast|paper)`(?: \({RULES_VERSION}\))? \| (\d+) \| ([\d.]+) \([\d.-]+\) \| ([\d.]+) \([\d.-]+\) \| ([\d.]+) \|"
    quoted = {m[0]: m[1:] for m in re.findall(row, readme, re.MULTILINE)}
    assert set(quoted) == {"ast", "paper"}, "the README's Measured quality table lost its rows"
    result = runner.invoke(app, ["eval-classifier", *map(str, labels), "--realdata", str(realdata)])
    assert result.exit_code == 0, result.output
    measured = {line.split()[0]: tuple(line.split()[1:5]) for line in result.output.splitlines()
                if line.split()[:1] in (["ast"], ["paper"])}
    assert measured == quoted


def test_eval_classifier_scores_the_sure_and_the_borderline_labels_apart(realdata, tmp_path) -> None:
    """``--borderline exclude`` scores the labels the labeller was sure of, says how many it left out; ``only`` the rest."""
    from pathlib import Path

    from codereason.labels import is_borderline, load_labels

    labels = Path(__file__).resolve().parent.parent / "data" / "labels" / "heldout12" / "smollm2.jsonl"
    rows = load_labels([labels])
    n_borderline = sum(map(is_borderline, rows))
    assert 0 < n_borderline < len(rows)
    matrices = {}
    for how, expected in (("include", len(rows)), ("exclude", len(rows) - n_borderline), ("only", n_borderline)):
        out = tmp_path / f"{how}.json"
        result = runner.invoke(app, ["eval-classifier", str(labels), "--realdata", str(realdata), "--mode", "ast",
                                     "--json", str(out), "--borderline", how])
        assert result.exit_code == 0, result.output
        written = json.loads(out.read_text())
        assert written["n"] == expected
        matrices[how] = {k: written["scores"][0][k] for k in ("tn", "fp", "fn", "tp")}
        if how != "include":
            assert f"scoring {expected} of {len(rows)} labels ({len(rows) - expected} left out)" in result.output
            assert (written["borderline"], written["n_labels"]) == (how, len(rows))
    assert {k: matrices["exclude"][k] + matrices["only"][k] for k in matrices["include"]} == matrices["include"]
    bad = runner.invoke(app, ["eval-classifier", str(labels), "--realdata", str(realdata), "--borderline", "maybe"])
    assert bad.exit_code != 0 and "--borderline must be one of 'include', 'exclude', 'only'" in str(bad.exception)


@pytest.mark.slow  # 400,000 lines: out of make test-fast
def test_ctrl_c_stops_cleanly_and_keeps_complete_records(tmp_path) -> None:
    source = tmp_path / "big.jsonl"
    source.write_text("".join(json.dumps({"text": f"x = {i}\nprint(x)" if i % 2 else "prose"}) + "\n" for i in range(400_000)))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "codereason", "tag", str(source), "--text-field", "text", "-j", "2",
                             "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # the output is written to a temporary file beside it (renamed at the end): wait until it holds rows
    while not any(p.stat().st_size for p in tmp_path.glob(".out.jsonl.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr  # neither from the main process nor from the workers
    written = int(re.search(r"interrupted after (\d+) records", stderr).group(1))
    rows = [json.loads(line) for line in out.read_text().split("\n") if line]
    assert 0 < len(rows) == written < 400_000
    assert [r["code_reasoning"] for r in rows] == [i % 2 == 1 for i in range(written)]


def test_a_label_whose_note_is_not_a_string_is_refused_with_file_and_line(tmp_path) -> None:
    """The borderline mark is read from the note: a list or number there must not pass as a sure label."""
    from codereason.errors import SchemaError
    from codereason.labels import load_labels

    bad = tmp_path / "labels.jsonl"
    good = {"source": "x/y.jsonl", "record": 0, "sample": 0, "label": 1, "note": "borderline: one call"}
    bad.write_text(json.dumps(good) + "\n" + json.dumps({**good, "record": 1, "note": ["borderline: one call"]}) + "\n")
    with pytest.raises(SchemaError, match=r"labels.jsonl:2: field 'note' must be a string, got list"):
        load_labels([bad])
    ok = tmp_path / "ok.jsonl"
    ok.write_text(json.dumps(good) + "\n")
    assert [row["note"] for row in load_labels([ok])] == ["borderline: one call"]
