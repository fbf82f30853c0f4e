"""Grading with math-verify: extraction, statuses, the timeout pool, the cache, the CLI."""

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
from codereason.grade import GradeCache, GraderPool, GradeSummary, grade, grade_many, grade_rows, last_boxed
from codereason.records import Grade

# A power tower sympy tries to evaluate exactly: math-verify's verify never returns.
SLOW_RESPONSE = "The answer is \\boxed{9^{9^{9^{9^9}}}}."

# (gold, response, require_boxed, expected Grade, note)
GRADE_CASES = [
    ("\\frac{1}{2}", "So the answer is \\boxed{0.5}.", False, Grade(True, "0.5", True, "ok"), "decimal equals fraction"),
    ("142.0", "m + n = 142, so \\(\\boxed{142}\\)", False, Grade(True, "142", True, "ok"), "Spurious gold labels are floats"),
    ("7", "First \\boxed{3}, on reflection \\boxed{7}", False, Grade(True, "7", True, "ok"), "the last box wins"),
    ("3", "First \\boxed{3}, on reflection \\boxed{7}", False, Grade(False, "7", True, "ok"), "an earlier box does not count"),
    ("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{\\sqrt{3}}{2}}", False, Grade(True, "\\frac{\\sqrt{3}}{2}", True, "ok"), "nested braces"),
    ("(3, \\frac{\\pi}{2})", "The point is $\\boxed{\\left(3, \\frac{\\pi}{2}\\right)}$", False,
     Grade(True, "\\left(3, \\frac{\\pi}{2}\\right)", True, "ok"), "tuple with \\left( \\right)"),
    ("5", "The final answer is $5$.", False, Grade(True, "5", False, "ok"), "unboxed answer, lenient policy"),
    ("5", "The final answer is $5$.", True, Grade(None, None, False, "no_answer"), "unboxed answer, --require-boxed"),
    ("5", "", False, Grade(None, None, False, "no_answer"), "empty response"),
    ("5", "I give up. \\boxed{", False, Grade(None, None, False, "no_answer"), "unclosed box is no box"),
    (None, "\\boxed{5}", False, Grade(None, "5", True, "parse_error"), "missing gold answer"),
]


@pytest.mark.parametrize("gold, response, require_boxed, expected, note", GRADE_CASES, ids=[c[-1] for c in GRADE_CASES])
def test_grade_cases(gold, response, require_boxed, expected, note):
    assert grade(gold=gold, response=response, require_boxed=require_boxed) == expected


def test_grade_is_keyword_only():
    with pytest.raises(TypeError):
        grade("5", "\\boxed{5}")  # type: ignore[misc]


@pytest.mark.parametrize("text, expected", [
    ("\\boxed{1} and \\boxed{2}", "2"),
    ("\\boxed{\\frac{a}{b}}", "\\frac{a}{b}"),
    ("\\fbox{4}", "4"),
    ("\\boxed{1} then \\boxed{2", "1"),  # the last box is unclosed: fall back to the one before
    ("no box", None),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_grade_many_keeps_order_and_uses_workers():
    pairs = [("1", "\\boxed{1}"), ("2", "\\boxed{3}"), ("4", "\\boxed{4}")] * 3
    grades = grade_many(pairs, n_jobs=2, timeout_s=30)
    assert [g.correct for g in grades] == [True, False, True] * 3


def test_timeout_kills_the_slow_item_and_the_run_goes_on():
    pairs = [("5", "\\boxed{5}"), ("5", SLOW_RESPONSE), ("6", "\\boxed{6}")]
    with GraderPool(n_jobs=1, timeout_s=2.0) as pool:
        started = time.monotonic()
        grades = grade_many(pairs, pool=pool)
        elapsed = time.monotonic() - started
        assert pool.n_timeouts == 1
        assert grade_many([("8", "\\boxed{8}")], pool=pool)[0].correct is True  # the replaced worker works
    assert grades[1] == Grade(None, "9^{9^{9^{9^9}}}", True, "timeout")
    assert [grades[0].correct, grades[2].correct] == [True, True]
    assert elapsed < 60  # bounded by the timeout, not by sympy


def test_cache_serves_repeats_and_retries_timeouts_with_a_longer_limit(tmp_path):
    cache = GradeCache(tmp_path)
    pairs = [("5", "\\boxed{5}"), ("5", SLOW_RESPONSE)]
    first = grade_many(pairs, cache=cache, timeout_s=1.0)
    assert cache.path.is_file()
    from codereason.grade import cache_key

    keys = [cache_key((g, r, False)) for g, r in pairs]
    assert set(cache.get_many(keys, timeout_s=1.0)) == set(keys)  # a re-run needs no worker
    assert list(cache.get_many(keys, timeout_s=5.0)) == [keys[0]]  # longer limit: the timeout is retried
    assert grade_many(pairs, cache=cache, timeout_s=1.0) == first
    cache.close()


def test_grade_rows_with_stored_score_reports_agreement():
    rows = [
        {"gold": "5", "response": "\\boxed{5}", "stored_score": 1.0},
        {"gold": "5", "response": "\\boxed{4}", "stored_score": 1.0},  # a stored score math-verify disputes
        {"gold": "5", "response": "\\boxed{4}", "stored_score": None},
    ]
    summary = GradeSummary()
    out = list(grade_rows(rows, summary, use_stored_score=True, timeout_s=30))
    assert [r["correct"] for r in out] == [True, True, False]
    assert out[1]["mv_correct"] is False
    assert (summary.n, summary.correct, summary.n_stored, summary.agree) == (3, 2, 2, 1)


def test_cli_grade_writes_rows_and_summary(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEREASON_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "rollouts.jsonl"
    records = [{"problem_id": "p1", "sample_idx": 0, "response": "\\boxed{2}", "gold": "2"},
               {"problem_id": "p2", "sample_idx": 0, "response": "It is 3", "gold": "3"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "graded.jsonl"
    result = CliRunner().invoke(app, ["grade", str(source), "-o", str(out), "--require-boxed"])
    assert result.exit_code == 0, result.output
    assert "graded 2 responses: accuracy 0.500; no_answer 1, ok 1" in result.output
    rows = [json.loads(line) for line in out.read_text().split("\n") if line]
    assert [(r["correct"], r["grade_status"], r["has_boxed"]) for r in rows] == [(True, "ok", True), (None, "no_answer", False)]


def test_ctrl_c_stops_grading_cleanly_and_keeps_complete_records(tmp_path) -> None:
    source = tmp_path / "rollouts.jsonl"
    source.write_text("".join(json.dumps({"problem_id": str(i), "sample_idx": 0, "gold": str(i),
                                          "response": f"So \\boxed{{{i if i % 3 else i + 1}}}."}) + "\n" for i in range(20_000)))
    out = tmp_path / "graded.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "codereason", "grade", str(source), "-j", "2", "--no-cache",
                             "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr  # math-verify in the workers is not interrupted mid-sympy
    written = int(re.search(r"interrupted after (\d+) records", stderr).group(1))
    rows = [json.loads(line) for line in out.read_text().split("\n") if line]
    assert 0 < len(rows) == written < 20_000
    assert [r["correct"] for r in rows] == [int(r["problem_id"]) % 3 != 0 for r in rows]
