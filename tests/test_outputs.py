"""Outputs are written safely and every user error is one line and exit code 2 (issue 11).

Every test runs the real CLI in a real process (``python -c`` around
``codereason.cli.main``, which also reports whether vLLM or torch were imported).
The table of failing invocations covers every command; each case starts from an
existing output and asserts exit code 2, one line on stderr and the output
byte-identical. Full disks and read-only folders are real: a small tmpfs, and
the same remounted read-only (the tests run as root in CI; they skip, saying
why, where ``mount`` is not permitted).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from codereason.track import TrackOptions, collect, step_table, transition_table, write_table

REPO = Path(__file__).resolve().parent.parent
# Runs the CLI, then prints which heavy modules the run imported (none may be, for generate's checks).
RUNNER = ("import atexit, sys\n"
          "atexit.register(lambda: print('loaded:', *[m for m in ('vllm', 'torch') if m in sys.modules]))\n"
          "from codereason.cli import main\n"
          "sys.argv = ['codereason'] + sys.argv[1:]\n"
          "main()\n")

PROGRESS = re.compile(r"^\S.*\[\d+:\d\d")  # a tqdm bar: "tag: 12resp [00:01, 9.5resp/s]"
CODE = "Let me compute.\n```python\nx = 2 + 2\nprint(x)\n```\nSo the answer is \\boxed{4}."
PROSE = "Two plus two is four, so the answer is \\boxed{4}."


def run_cli(args, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the CLI in ``cwd``, with a private grade cache beside it (not in it: tests list ``cwd``)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "CODEREASON_CACHE": str(cwd.parent / f"{cwd.name}-cache")}
    return subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """stderr without progress bars (tqdm redraws a line with ``\\r``; a bar shows ``[MM:SS``)."""
    lines = (line.split("\r")[-1] for line in proc.stderr.splitlines())
    return [line for line in lines if line.strip() and not PROGRESS.search(line)]


def assert_one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = error_lines(proc)
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert fragment in lines[0], lines[0]
    return lines[0]


def rollout_rows(n: int, text=lambda i: CODE if i % 2 else PROSE, **extra) -> list[dict]:
    return [{"problem_id": f"q{i}", "sample_idx": 0, "response": text(i), "gold": "4", "benchmark": "toy", **extra}
            for i in range(n)]


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, Path]:
    """A real step table and transition table (CSV and Parquet), made by track's library functions."""
    root = tmp_path_factory.mktemp("tables")
    base = write_jsonl(root / "run" / "base" / "r.jsonl", rollout_rows(4, lambda i: [CODE, PROSE, "\\boxed{5}", "\\boxed{5}"][i]))
    later = write_jsonl(root / "run" / "step50" / "r.jsonl", rollout_rows(4, lambda i: [CODE, CODE, CODE, PROSE][i]))
    responses = collect([base.parent, later.parent], TrackOptions(cache=str(root / "cache")))
    steps, moves = step_table(responses, n_boot=20), transition_table(responses)
    return {"csv": write_table(steps, root / "steps.csv"), "parquet": write_table(steps, root / "steps.parquet"),
            "moves": write_table(moves, root / "moves.csv"), "input": base}


# --------------------------------------------------- the table of failing runs

def _broken_tables(folder: Path, good: Path) -> dict[str, Path]:
    """Tables that are not whole or not well formed, made from a good one."""
    text = good.read_text()
    header, *lines = text.splitlines(keepends=True)
    columns = header.rstrip("\n").split(",")
    made = {
        "empty": "", "header-only": header, "ragged": header + lines[0].rstrip("\n") + ",extra,cells\n",
        "short-row": header + ",".join(lines[0].split(",")[:3]) + "\n",
        "truncated": text[:-len(lines[-1]) // 2],
        "non-numeric": header + _with_cell(columns, lines[0], "accuracy", "abc"),
        "rate-over-1": header + _with_cell(columns, lines[0], "accuracy", "7.5"),
        "no-acc-given-code": pd.read_csv(good).drop(columns=["acc_given_code"]).to_csv(index=False),
    }
    out = {}
    for name, content in made.items():
        out[name] = folder / f"{name}.csv"
        out[name].write_text(content)
    out["truncated-parquet"] = folder / "truncated.parquet"
    data = good.with_suffix(".parquet").read_bytes()
    out["truncated-parquet"].write_bytes(data[:len(data) // 2])
    out["not-utf8"] = folder / "latin1.csv"
    out["not-utf8"].write_bytes(header.encode() + "é,".encode("latin-1") + lines[0].encode())
    return out


def _with_cell(columns: list[str], line: str, column: str, value: str) -> str:
    cells = line.rstrip("\n").split(",")
    cells[columns.index(column)] = value
    return ",".join(cells) + "\n"


def _case_files(tmp: Path, tables: dict[str, Path]) -> dict[str, Path]:
    """The inputs and the existing outputs every case starts from (all outputs are valid files of their kind)."""
    files = {"in": write_jsonl(tmp / "in.jsonl", rollout_rows(6))}
    files["kept"] = write_jsonl(tmp / "kept.jsonl", rollout_rows(3, lambda i: "kept"))  # readable rollouts
    files["bad_side"] = write_jsonl(tmp / "out.jsonl.bad.jsonl", rollout_rows(2, lambda i: "kept"))
    files["kept_parquet"] = tmp / "kept.parquet"
    pd.DataFrame(rollout_rows(3, lambda i: "kept")).to_parquet(files["kept_parquet"])
    files["undetectable"] = write_jsonl(tmp / "odd.jsonl", [{"foo": 1, "bar": 2}])
    files["first_bad"] = write_jsonl(tmp / "first_bad.jsonl", [{"problem_id": "1", "sample_idx": 0}] + rollout_rows(2))
    files["no_step"] = write_jsonl(tmp / "plain" / "r.jsonl", rollout_rows(2))
    files["kept_csv"] = tmp / "kept.csv"
    files["kept_csv"].write_bytes(tables["csv"].read_bytes())
    files["kept_moves"] = tmp / "kept_moves.csv"
    files["kept_moves"].write_bytes(tables["moves"].read_bytes())
    files["kept_txt"] = tmp / "kept.txt"
    files["kept_txt"].write_text("kept\n")
    files["kept_png"] = tmp / "fig.png"
    files["kept_png"].write_bytes(b"\x89PNG kept")
    files["report"] = tmp / "rep"
    files["report"].mkdir()
    (files["report"] / "report.md").write_text("# kept\n")
    (files["report"] / "comparison.png").write_bytes(b"\x89PNG kept")
    (files["report"] / "table.csv").write_text("kept\n")
    files["kept_json"] = tmp / "scores.json"
    files["kept_json"].write_text('{"kept": 1}\n')
    files["labels"] = write_jsonl(tmp / "labels.jsonl", [{"source": "x/y.jsonl", "line": 1, "label": 1}])
    files["gen_out"] = tmp / "gen"
    files["gen_rollouts"] = write_jsonl(files["gen_out"] / "model.jsonl", rollout_rows(2, lambda i: "kept"))
    for suffix in ("jsonl", "csv", "png", "json"):
        files[f"folder_{suffix}"] = tmp / f"folder.{suffix}"
        files[f"folder_{suffix}"].mkdir()
    files.update({f"table_{k}": v for k, v in _broken_tables(tmp, tables["csv"]).items()})
    files["good_csv"], files["good_parquet"], files["good_moves"] = tables["csv"], tables["parquet"], tables["moves"]
    return files


# (id, arguments with {name} placeholders for _case_files, the files that must stay byte-identical, message fragment)
FAILING = [
    ("tag-mode", "tag {in} -o {kept} --mode nope", ["kept"], "--mode must be one of"),
    ("tag-jobs-0", "tag {in} -o {kept} -j 0", ["kept"], "-j/--jobs"),
    ("tag-jobs-neg", "tag {in} -o {kept} -j -3", ["kept"], "-j/--jobs"),
    ("tag-format", "tag {in} -o {kept} --format nope", ["kept"], "--format must be one of"),
    ("tag-undetectable", "tag {undetectable} -o {kept}", ["kept"], "odd.jsonl"),
    ("tag-missing-input", "tag missing.jsonl -o {kept}", ["kept"], "no such file"),
    ("tag-output-is-input", "tag {in} {kept} -o {kept}", ["kept"], "is also an input"),
    ("tag-first-record-bad", "tag {first_bad} --format codereason -o {kept}", ["kept"], "missing field 'response'"),
    ("tag-first-record-bad-j2", "tag {first_bad} --format codereason -j 2 -o {kept}", ["kept"], "missing field"),
    ("tag-parquet-mode", "tag {in} -o {kept_parquet} --mode nope", ["kept_parquet"], "--mode"),
    ("tag-parquet-first-bad", "tag {first_bad} --format codereason -o {kept_parquet}", ["kept_parquet"], "missing"),
    ("tag-suffix", "tag {in} -o {kept_txt}", ["kept_txt"], "suffix must be .jsonl or .parquet"),
    ("tag-output-folder", "tag {in} -o {folder_jsonl}", [], "is a folder"),
    ("tag-side-file-is-input", "tag {in} {bad_side} -o out.jsonl --skip-bad", ["bad_side"], "--skip-bad file"),
    ("tag-generic-no-field", "tag {in} --format generic -o {kept}", ["kept"], "--text-field"),
    ("grade-timeout-0", "grade {in} -o {kept} --timeout 0", ["kept"], "--timeout"),
    ("grade-timeout-nan", "grade {in} -o {kept} --timeout nan", ["kept"], "--timeout"),
    ("grade-timeout-inf", "grade {in} -o {kept} --timeout inf", ["kept"], "--timeout"),
    ("grade-jobs", "grade {in} -o {kept} -j 0", ["kept"], "-j/--jobs"),
    ("grade-format", "grade {in} -o {kept_parquet} --format nope", ["kept_parquet"], "--format"),
    ("grade-undetectable", "grade {undetectable} -o {kept}", ["kept"], "odd.jsonl"),
    ("grade-output-is-input", "grade {kept} -o {kept}", ["kept"], "is also an input"),
    ("grade-first-record-bad", "grade {first_bad} --format codereason -o {kept}", ["kept"], "missing field"),
    ("grade-output-folder", "grade {in} -o {folder_jsonl}", [], "is a folder"),
    ("track-mode", "track {in} --steps 1 -o {kept_csv} --mode nope", ["kept_csv"], "--mode"),
    ("track-steps", "track {in} --steps 1,2 -o {kept_csv}", ["kept_csv"], "one per input"),
    ("track-steps-text", "track {in} --steps a -o {kept_csv}", ["kept_csv"], "--steps"),
    ("track-window", "track {in} --steps 1 --window 0 -o {kept_csv}", ["kept_csv"], "--window"),
    ("track-strategy", "track {in} --steps 1 --strategy nope --transitions {kept_moves}", ["kept_moves"], "--strategy"),
    ("track-timeout", "track {in} --steps 1 --timeout -1 -o {kept_csv}", ["kept_csv"], "--timeout"),
    ("track-suffix", "track {in} --steps 1 -o {kept_txt}", ["kept_txt"], "suffix must be .csv or .parquet"),
    ("track-transitions-suffix", "track {in} --steps 1 -o {kept_csv} --transitions {kept_txt}", ["kept_csv", "kept_txt"],
     "--transitions"),
    ("track-same-two-outputs", "track {in} --steps 1 -o {kept_csv} --transitions {kept_csv}", ["kept_csv"], "both name"),
    ("track-output-folder", "track {in} --steps 1 -o {folder_csv}", [], "is a folder"),
    ("track-no-step", "track {no_step} -o {kept_csv}", ["kept_csv"], "no training step"),
    ("track-missing-input", "track missing --steps 1 -o {kept_csv}", ["kept_csv"], "no such file"),
    ("track-from-step", "track {in} --steps 1 -o {kept_csv} --transitions {kept_moves} --from-step 7",
     ["kept_csv", "kept_moves"], "--from-step 7"),
    ("plot-output-folder", "plot {good_csv} -o {folder_png}", [], "is a folder"),
    ("plot-missing-table", "plot missing.csv -o {kept_png}", ["kept_png"], "no such track table"),
    ("plot-suffix", "plot {good_csv} -o {kept_txt}", ["kept_txt"], "suffix must be .png or .svg or .pdf"),
    *[(f"plot-{name}", f"plot {{table_{name}}} -o {{kept_png}}", ["kept_png"], fragment) for name, fragment in [
        ("empty", "empty"), ("header-only", "no rows"), ("ragged", "ragged"), ("short-row", "ragged"),
        ("truncated", "truncated"), ("non-numeric", "'abc', not a number"), ("rate-over-1", "not a rate"),
        ("no-acc-given-code", "lacks column 'acc_given_code'"), ("truncated-parquet", "not a readable Parquet"),
        ("not-utf8", "not UTF-8")]],
    ("plot-bad-transitions", "plot {good_csv} --transitions {good_csv} -o {kept_png}", ["kept_png"], "transition table"),
    ("report-duplicate-name", "report a={good_csv} a={good_parquet} -o {report}", ["report"], "given twice"),
    ("report-no-equals", "report {good_csv} -o {report}", ["report"], "NAME=TABLE.csv"),
    ("report-output-is-file", "report a={good_csv} -o {kept_txt}", ["kept_txt"], "is a file"),
    *[(f"report-{name}", f"report a={{good_csv}} b={{table_{name}}} -o {{report}}", ["report"], fragment)
      for name, fragment in [("empty", "empty"), ("ragged", "ragged"), ("truncated", "truncated"),
                             ("non-numeric", "not a number"), ("no-acc-given-code", "acc_given_code"),
                             ("truncated-parquet", "Parquet")]],
    ("eval-classifier-mode", "eval-classifier {labels} --realdata . --mode nope --json {kept_json}", ["kept_json"],
     "--mode"),
    ("eval-classifier-missing-labels", "eval-classifier missing.jsonl --realdata . --json {kept_json}", ["kept_json"],
     "no such label file"),
    ("eval-classifier-realdata", "eval-classifier {labels} --realdata missing-dir --json {kept_json}", ["kept_json"],
     "real-data root"),
    ("eval-classifier-json-folder", "eval-classifier {labels} --realdata . --json {folder_json}", [], "is a folder"),
    ("eval-classifier-json-is-input", "eval-classifier {labels} --realdata . --json {labels}", ["labels"],
     "is also an input"),
    ("generate-out-is-file", "generate -o {kept_txt} --limit 1", ["kept_txt"], "is a file"),
    ("generate-benchmark", "generate -o {gen_out} --benchmark nope", ["gen_rollouts"], "--benchmark must be one of"),
    ("generate-dtype", "generate -o {gen_out} --dtype nope", ["gen_rollouts"], "--dtype must be one of"),
    ("generate-preset", "generate -o {gen_out} --preset nope", ["gen_rollouts"], "--preset must be one of"),
    ("generate-model-path", "generate -o {gen_out} --model ./no-such-model", ["gen_rollouts"], "no such folder"),
    ("generate-model-not-hf", "generate -o {gen_out} --model {report}", ["gen_rollouts"], "no config.json"),
    ("generate-gpu-memory", "generate -o {gen_out} --gpu-memory-utilization 2", ["gen_rollouts"], "(0, 1]"),
    ("generate-include-base", "generate -o {gen_out} --include-base x", ["gen_rollouts"], "--include-base needs"),
    ("generate-checkpoints", "generate -o {gen_out} --checkpoints {report}", ["gen_rollouts"], "no checkpoint"),
]


def _snapshot(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    return {"": path.read_bytes()}


@pytest.mark.parametrize("args, kept, fragment", [case[1:] for case in FAILING], ids=[case[0] for case in FAILING])
def test_failing_invocation_leaves_outputs_byte_identical(tmp_path, tables, args, kept, fragment):
    files = _case_files(tmp_path, tables)
    before = {name: _snapshot(files[name]) for name in kept}
    listing = sorted(p.name for p in tmp_path.iterdir())
    proc = run_cli(args.format(**files).split(), tmp_path)
    assert_one_line_error(proc, fragment)
    assert {name: _snapshot(files[name]) for name in kept} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no temporary file, part folder or new output left
    if args.startswith("generate"):
        assert proc.stdout.strip() == "loaded:", "generate's checks must run before vLLM or torch is imported"


def test_every_command_is_in_the_table():
    commands = {case[1].split()[0] for case in FAILING}
    assert commands == {"tag", "grade", "track", "plot", "report", "eval-classifier", "generate"}


# ------------------------------------------------ successful runs replace outputs

def test_a_successful_run_replaces_the_output_and_leaves_no_temporary_file(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", rollout_rows(6))
    for out in (tmp_path / "kept.jsonl", tmp_path / "kept.parquet"):
        out.write_text("old")
        proc = run_cli(["tag", source, "-o", out], tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(pq.read_table(out) if out.suffix == ".parquet" else out.read_text().splitlines()) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "kept.jsonl", "kept.parquet"]
    fresh = tmp_path / "fresh.jsonl"
    assert run_cli(["tag", source, "-o", fresh], tmp_path).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # the mode a plain open gives, not mkstemp's 0600


def test_a_bad_record_later_on_leaves_the_complete_records_before_it(tmp_path):
    rows = rollout_rows(5)
    rows[3] = {"problem_id": "x", "sample_idx": 0}
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    out = write_jsonl(tmp_path / "out.jsonl", rollout_rows(9, lambda i: "old"))
    proc = run_cli(["tag", source, "--format", "codereason", "-o", out], tmp_path)
    line = assert_one_line_error(proc, "in.jsonl:4: missing field 'response'")
    assert f"{out} holds the first 3 records, each complete" in line
    assert [json.loads(x)["problem_id"] for x in out.read_text().splitlines()] == ["q0", "q1", "q2"]


def test_an_empty_parquet_output_is_a_readable_file(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [])
    proc = run_cli(["tag", source, "--format", "codereason", "-o", tmp_path / "out.parquet"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert pq.read_table(tmp_path / "out.parquet").num_rows == 0


# --------------------------------------------------------- lone surrogates

@pytest.mark.parametrize("field", ["response", "note"])
def test_a_lone_surrogate_in_parquet_output_names_record_and_field(tmp_path, field):
    rows = rollout_rows(3)
    rows[1][field] = "bad \ud800 text" if field == "note" else "It is \\boxed{4} \udc80"
    for row in rows:
        row.setdefault("note", "fine")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))  # json escapes the surrogate as \\ud800
    out = tmp_path / "out.parquet"
    proc = run_cli(["tag", source, "-o", out], tmp_path)
    assert_one_line_error(proc, f"record 2, field {field!r} holds a lone surrogate")
    assert pq.read_table(out)["problem_id"].to_pylist() == ["q0"]  # the records before it, readable
    jsonl = run_cli(["tag", source, "-o", tmp_path / "out.jsonl"], tmp_path)  # JSON escapes it
    assert jsonl.returncode == 0, jsonl.stderr
    assert json.loads((tmp_path / "out.jsonl").read_text().splitlines()[1])[field] == rows[1][field]


def test_a_lone_surrogate_in_grade_parquet_output_is_one_line(tmp_path):
    rows = rollout_rows(2)
    rows[0]["response"] = "So \\boxed{4\ud800}"
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = run_cli(["grade", source, "--no-cache", "-o", tmp_path / "out.parquet"], tmp_path)
    assert_one_line_error(proc, "lone surrogate")
    assert not (tmp_path / "out.parquet").exists()  # no complete record before it: nothing written


def test_lone_surrogates_in_track_tag_and_grade_never_traceback(tmp_path):
    row = {"problem_id": "1", "sample_idx": 0, "response": "It is \\boxed{2\ud800}.", "gold": "2", "step": 1}
    boxed = tmp_path / "boxed.jsonl"
    boxed.write_text(json.dumps(row) + "\n")
    named = tmp_path / "named.jsonl"
    named.write_text(json.dumps({**row, "response": "It is \\boxed{2}.", "checkpoint": "c\ud800"}) + "\n")
    proc = run_cli(["track", named, "--no-cache", "-o", tmp_path / "t.csv", "--bootstrap", "5"], tmp_path)
    assert_one_line_error(proc, "field 'checkpoint' of a response (problem '1') holds a lone surrogate (U+D800)")
    assert not (tmp_path / "t.csv").exists()
    proc = run_cli(["track", boxed, "--no-cache", "-o", tmp_path / "t.parquet", "--bootstrap", "5"], tmp_path)
    assert proc.returncode == 0, proc.stderr  # the answer is only compared: written escaped
    assert pd.read_parquet(tmp_path / "t.parquet")["accuracy"].tolist() == [0.0]
    proc = run_cli(["tag", named], tmp_path)
    assert proc.returncode == 0 and "c\\ud800" in proc.stdout, proc.stderr  # the summary prints the name escaped
    proc = run_cli(["grade", boxed, "--no-cache", "-o", tmp_path / "g.jsonl"], tmp_path)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------- duplicates

def test_track_counts_a_repeated_key_once_and_says_so(tmp_path):
    source = write_jsonl(tmp_path / "step5" / "r.jsonl", rollout_rows(4))
    proc = run_cli(["track", source.parent, source, "-o", tmp_path / "t.csv", "--bootstrap", "10"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "4 responses repeat a (benchmark, step, problem_id, sample_idx) key" in proc.stderr
    assert "4 of 8 kept" in proc.stderr
    assert pd.read_csv(tmp_path / "t.csv")["n_responses"].tolist() == [4]


def test_report_writes_its_three_files_for_distinct_names(tmp_path, tables):
    proc = run_cli(["report", f"a={tables['csv']}", f"b={tables['parquet']}", "-o", tmp_path / "rep"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = (tmp_path / "rep" / "report.md").read_text()
    assert report.count("| a |") == report.count("| b |") == 2  # one row per step of each run
    assert (tmp_path / "rep" / "comparison.png").read_bytes().startswith(b"\x89PNG")
    table = pd.read_csv(tmp_path / "rep" / "table.csv")
    assert list(table.columns[:3]) == ["run", "benchmark", "step"]
    assert table.groupby("run").size().to_dict() == {"a": 2, "b": 2}
    source = pd.read_csv(tables["csv"])
    assert table[table["run"] == "a"]["code_freq"].tolist() == source["code_freq"].tolist()


# ------------------------------------------------- full disk and read-only folders

@contextmanager
def small_tmpfs(where: Path, size: str = "1m"):
    """A real tmpfs of ``size`` mounted at ``where`` (skips when mounting is not permitted)."""
    where.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                              capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount command here")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root in a container that permits it): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def read_only(where: Path) -> None:
    done = subprocess.run(["mount", "-o", "remount,ro", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")


def big_input(path: Path, n: int = 6000) -> Path:
    """``n`` rollouts of ~300 bytes, with hex filler that compresses poorly (so Parquet output is large too)."""
    def text(i: int) -> str:
        return (CODE if i % 2 else PROSE) + " " + random.Random(i).getrandbits(768).to_bytes(96, "big").hex()
    return write_jsonl(path, rollout_rows(n, text))


def fill(disk: Path) -> None:
    """Write to ``disk`` until it is full."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"x" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_full_disk_leaves_complete_jsonl_records_and_one_line(tmp_path, jobs):
    source = big_input(tmp_path / "in.jsonl")
    with small_tmpfs(tmp_path / "disk") as disk:
        out = disk / "out.jsonl"
        proc = run_cli(["tag", source, "-j", jobs, "-o", out], tmp_path)
        line = assert_one_line_error(proc, "No space left on device")
        assert sorted(p.name for p in disk.iterdir()) == (["out.jsonl"] if out.exists() else [])
        if jobs == "1":
            assert out.exists()  # -j 2: the disk may fill while the first part file is written
        if not out.exists():
            assert line.endswith(f"{out} was not written")
            return
        kept = out.read_bytes()
        assert kept.endswith(b"\n")
        rows = [json.loads(x) for x in kept.splitlines()]  # every line complete
        assert line.endswith(f"{out} holds the first {len(rows)} records, each complete") and rows
        assert [r["problem_id"] for r in rows] == [f"q{i}" for i in range(len(rows))]


def test_full_disk_leaves_an_existing_parquet_output_as_it_was(tmp_path):
    source = big_input(tmp_path / "in.jsonl", 16000)
    with small_tmpfs(tmp_path / "disk") as disk:
        out = disk / "out.parquet"
        pd.DataFrame(rollout_rows(3, lambda i: "kept")).to_parquet(out)
        before = out.read_bytes()
        proc = run_cli(["tag", source, "-o", out], tmp_path)
        assert_one_line_error(proc, "is left as it was")
        assert out.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["out.parquet"]


@pytest.mark.parametrize("command, name", [("track", "t.csv"), ("view", "v.html")])
def test_full_disk_for_a_track_table_or_view_page_is_one_line(tmp_path, command, name):
    source = write_jsonl(tmp_path / "step1" / "r.jsonl", rollout_rows(4))
    with small_tmpfs(tmp_path / "disk", "64k") as disk:
        out = disk / name
        out.write_text("kept\n")
        fill(disk)
        proc = run_cli([command, source, "-o", out, "--bootstrap", "10"], tmp_path)
        assert_one_line_error(proc, "No space left on device")
        assert out.read_text() == "kept\n"
        assert sorted(p.name for p in disk.iterdir() if p.name != "filler") == [name]


@pytest.mark.parametrize("command", [
    "tag {in} -o {out}.jsonl", "tag {in} -o {out}.parquet", "grade {in} -o {out}.jsonl",
    "track {in} --steps 1 -o {out}.csv", "plot {table} -o {out}.png", "report a={table} -o {out}",
    "generate -o {out}", "tag {in} --skip-bad -o {other}/x.jsonl", "view {in} -o {out}.html",
])
def test_read_only_output_folder_is_one_line_and_changes_nothing(tmp_path, tables, command):
    source = write_jsonl(tmp_path / "in.jsonl", rollout_rows(4))
    with small_tmpfs(tmp_path / "disk") as disk:
        (disk / "kept.jsonl").write_text("kept\n")
        read_only(disk)
        args = command.format(**{"in": source, "out": disk / "kept", "table": tables["csv"], "other": disk})
        proc = run_cli(args.split(), tmp_path)
        assert_one_line_error(proc, "Read-only file system")
        assert sorted(p.name for p in disk.iterdir()) == ["kept.jsonl"]
        assert (disk / "kept.jsonl").read_text() == "kept\n"


# ---------------------------------------------------------------- SIGKILL

def _temp_files(folder: Path, name: str) -> list[Path]:
    return list(folder.glob(f".{name}.tmp-*"))


@pytest.mark.slow
@pytest.mark.parametrize("previous", [True, False], ids=["existing-output", "no-output"])
def test_sigkill_leaves_parquet_complete_or_absent(tmp_path, previous):
    source = big_input(tmp_path / "in.jsonl", 20000)
    out = tmp_path / "out.parquet"
    if previous:
        pd.DataFrame(rollout_rows(3, lambda i: "kept")).to_parquet(out)
    before = out.read_bytes() if previous else None
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "codereason", "tag", str(source), "-o", str(out)], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not any(p.stat().st_size > 4 for p in _temp_files(tmp_path, out.name)):  # a row group is written
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if previous:
        assert out.read_bytes() == before and pq.read_table(out).num_rows == 3
    else:
        assert not out.exists()
    assert _temp_files(tmp_path, out.name)  # the killed run's temporary file ...
    rerun = run_cli(["tag", source, "-o", out], tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert pq.read_table(out).num_rows == 20000
    assert not _temp_files(tmp_path, out.name)  # ... is removed by the next run


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_second_ctrl_c_while_the_output_is_put_in_place_is_held_back(tmp_path, monkeypatch, suffix):
    """The writer's close after Ctrl-C (cut the last rows, rename) cannot be cut short by a second Ctrl-C
    arriving during it: the output holds the complete records, as the first message says (the grade -j 2
    case of test_workers once found no output there on a fresh clone)."""
    from codereason import writers

    real_replace = os.replace

    def replace_after_a_second_ctrl_c(source, target):
        os.kill(os.getpid(), signal.SIGINT)  # as the terminal's second Ctrl-C, in the middle of the close
        real_replace(source, target)

    monkeypatch.setattr(writers.os, "replace", replace_after_a_second_ctrl_c)
    out = tmp_path / f"out{suffix}"
    writer = writers.RowWriter(out)
    with pytest.raises(KeyboardInterrupt):
        with writer:
            writer.write({"problem_id": "1", "sample_idx": 0, "response": "kept"})
            raise KeyboardInterrupt  # the first Ctrl-C
    assert writer.replaced and writer.count == 1
    assert [r["response"] for r in writers_rows(out)] == ["kept"]


def writers_rows(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.slow
def test_ctrl_c_leaves_the_complete_records_it_reports(tmp_path):
    source = big_input(tmp_path / "in.jsonl", 20000)
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "codereason", "tag", str(source), "-o", str(out)], cwd=tmp_path,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not any(p.stat().st_size > 0 for p in _temp_files(tmp_path, out.name)):  # a first buffer is written
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be interrupted"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    lines = [line.split("\r")[-1] for line in stderr.splitlines()]
    message = [line for line in lines if line.startswith("interrupted after")]
    rows = [json.loads(x) for x in out.read_bytes().splitlines()]
    assert message == [f"interrupted after {len(rows)} records; {out} holds the first {len(rows)} records, each complete"]
    assert [r["problem_id"] for r in rows] == [f"q{i}" for i in range(len(rows))] and len(rows) < 20000
    assert not _temp_files(tmp_path, out.name)
