"""Grading with math-verify: extraction, statuses, the timeout pool, the cache, the CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import codereason.cli  # noqa: F401  (registers the commands)
from codereason.cli._app import app
from codereason.errors import ConfigError
from codereason.grade import (
    GradeCache,
    GraderPool,
    GradeSummary,
    _grade_task,
    _verify,
    fast_grade,
    grade,
    grade_many,
    grade_rows,
    last_boxed,
    parse_answer,
)
from codereason.io import read_rows
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


def test_the_pool_takes_a_gold_answer_as_grade_does():
    """A number as gold (a task built by hand, not by grade_many) is its text, as in grade()."""
    tasks = [(5, "So \\boxed{5}.", False), (0.5, "\\boxed{\\frac{1}{2}}", False), (None, "\\boxed{1}", False)]
    with GraderPool(n_jobs=1, timeout_s=30) as pool:
        assert pool.map(tasks) == [grade(gold=g, response=r) for g, r, _ in tasks]


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
    # the output is written to a temporary file beside it (renamed at the end): wait until it holds rows
    while not any(p.stat().st_size for p in tmp_path.glob(".graded.jsonl.tmp-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr  # math-verify in the workers is not interrupted mid-sympy
    written = int(re.search(r"interrupted after (\d+) records", stderr).group(1))
    rows = [json.loads(line) for line in out.read_text().split("\n") if line]
    assert 0 < len(rows) == written < 20_000
    assert [r["correct"] for r in rows] == [int(r["problem_id"]) % 3 != 0 for r in rows]


# ------------------------------------------------------------ bounds and faults

UNCLOSED_BOXES = "\\boxed{" * 20_000  # 140 KB: a degenerate tail (quadratic to scan until 2026-12-02: 282 s)


def test_extraction_is_linear_in_unclosed_boxes():
    assert last_boxed(UNCLOSED_BOXES) is None
    assert last_boxed("\\boxed{5} " + UNCLOSED_BOXES) == "5"  # the last *complete* box
    assert last_boxed(UNCLOSED_BOXES + "\\boxed{6}") == "6"


def test_what_the_main_process_does_for_a_response_is_linear():
    """The pool's main process finds the last box and tries the fast path (outside any deadline): on 1.2 MB
    of white space runs, spacing commands, \\left without a letter after it and digits, both stay linear."""
    box = ("  \\, \\left" * 40_000) + "1" * 100_000 + " " * 300_000
    started = time.monotonic()
    assert last_boxed(f"\\boxed{{{box}}}") == box
    assert fast_grade("12", box) is None and fast_grade(box, box).correct is True
    assert time.monotonic() - started < 10  # a bound (quadratic would be hours), not a speed target


def test_a_pathological_response_is_bounded_by_the_timeout():
    pairs = [("5", UNCLOSED_BOXES), ("5", "\\boxed{5} " + UNCLOSED_BOXES), ("6", "\\boxed{6}")]
    started = time.monotonic()
    grades = grade_many(pairs, n_jobs=2, timeout_s=2.0)
    elapsed = time.monotonic() - started
    assert grades[0].grade_status in ("timeout", "no_answer") and grades[0].correct is None
    assert grades[1:] == [Grade(True, "5", True, "ok"), Grade(True, "6", True, "ok")]
    assert elapsed < 30  # a bound (two timeouts and start-up on a loaded machine), not a speed target


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), 0, -1, "soon"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(timeout):
    def rows():
        raise AssertionError("read before the arguments were checked")
        yield

    with pytest.raises(ConfigError, match=r"--timeout \(timeout_s\) must be a finite number of seconds above 0"):
        grade_rows(rows(), GradeSummary(), timeout_s=timeout)
    with pytest.raises(ConfigError, match="--timeout"):
        GraderPool(timeout_s=timeout)
    with pytest.raises(ConfigError, match="--timeout"):
        grade_many([("1", "\\boxed{1}")], timeout_s=timeout)


@pytest.mark.parametrize("timeout", ["nan", "inf", "0", "-2"])
def test_cli_grade_refuses_a_bad_timeout_before_touching_the_output(tmp_path, timeout):
    source = tmp_path / "rollouts.jsonl"
    source.write_text(json.dumps({"problem_id": "p", "sample_idx": 0, "response": "\\boxed{2}", "gold": "2"}) + "\n")
    out = tmp_path / "kept.jsonl"
    out.write_text("earlier output\n")
    proc = subprocess.run([sys.executable, "-m", "codereason", "grade", str(source), "--timeout", timeout, "--no-cache",
                           "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: --timeout (timeout_s) must be a finite number of seconds above 0; "
                                                f"got {float(timeout)}"]
    assert out.read_text() == "earlier output\n"


def test_a_grading_worker_killed_mid_task_costs_that_task_only():
    with GraderPool(n_jobs=1, timeout_s=120) as pool:
        assert grade_many([("1", "\\boxed{\\frac{2}{2}}")], pool=pool)[0].correct is True  # a worker graded it
        worker = _children(os.getpid())
        assert worker
        work = ("box", "5", last_boxed(SLOW_RESPONSE))
        future = pool._submit(work)
        time.sleep(1.0)
        for pid in worker:
            os.kill(pid, signal.SIGKILL)  # as the OOM killer would
        grade, keep = pool._outcome(work, future, 1)
        assert (grade, keep) == (Grade(None, "9^{9^{9^{9^9}}}", True, "parse_error"), False)  # a death is not kept
        assert pool.n_died == 1
        assert grade_many([("8", "\\boxed{8}")], pool=pool)[0].correct is True  # a new worker took over


@pytest.mark.realdata
def test_the_pool_gives_the_grades_of_grade_on_real_responses(spurious_results):
    """The pool settles fast-path boxes in the main process, one worker task per distinct (gold, box) and per
    unboxed response; the grades are those of grade() response by response (both policies), on every
    unboxed response and a spread of boxed ones of the real checkpoints."""
    rows = [r for p in sorted(spurious_results.rglob("*.json")) for r in read_rows(p)]
    unboxed = [r for r in rows if last_boxed(r["response"]) is None]
    assert len(rows) == 8220 and len(unboxed) == 789
    sample = unboxed[:150] + [r for r in rows if last_boxed(r["response"]) is not None][::12]
    for require_boxed in (False, True):
        tasks = [(r.get("gold"), r["response"], require_boxed) for r in sample]
        with GraderPool(n_jobs=2, timeout_s=60) as pool:
            pooled = pool.map(tasks + tasks[::7])  # repeats: served by the pool's box grades
        expected = [_grade_task(t) for t in tasks]
        assert pooled == expected + expected[::7]
        assert pool.n_timeouts == pool.n_died == 0


@pytest.mark.realdata
def test_the_faster_latex_parse_gives_math_verifys_own_results_on_real_responses(spurious_results, monkeypatch):
    """codereason.mathverify_parse (cached outcomes, SLL then LL; the generic-point check before
    simplify) against math-verify's parse_latex_cached and sympy_symbolic_eq: the same parses and
    grades on unboxed responses and on boxes the fast path leaves to math-verify."""
    import math_verify.grader as mv_grader
    import math_verify.parser as mv_parser

    from codereason import grade as grading
    from codereason import mathverify_parse

    rows = [r for p in sorted(spurious_results.rglob("*.json")) for r in read_rows(p)]
    unboxed = [(r.get("gold"), r["response"], None) for r in rows if last_boxed(r["response"]) is None][::4]
    boxes = {(r.get("gold"), last_boxed(r["response"])) for r in rows if last_boxed(r["response"]) is not None}
    boxes = sorted((g, b) for g, b in boxes if grading.fast_grade(None if g is None else str(g), b) is None)[::6]
    work = unboxed + [(g, "", b) for g, b in boxes]
    assert len(unboxed) > 150 and len(boxes) > 150

    def outcomes():
        grading.parse_gold.cache_clear()
        found = []
        for gold, response, boxed in work:
            answer = grading.parse_answer(response, boxed)
            found.append((str(answer), grading._verify(None if gold is None else str(gold), answer, boxed)))
        return found

    grading._math_verify()
    assert mv_parser.parse_latex_cached is mathverify_parse.parse_latex
    assert mv_grader.sympy_symbolic_eq is mathverify_parse.symbolic_eq
    ours = outcomes()
    monkeypatch.setattr(mv_parser, "parse_latex_cached", mathverify_parse.replaced)
    monkeypatch.setattr(mv_grader, "sympy_symbolic_eq", mathverify_parse.replaced_symbolic_eq)
    theirs = outcomes()
    assert ours == theirs
    grading.parse_gold.cache_clear()


def test_the_generic_point_check_never_refuses_what_simplify_proves_equal() -> None:
    """Pairs that simplify proves equal (identities, cancellation of huge terms, removable points,
    branches that hold on the reals) are never called different; different ones are, at once."""
    import math_verify.grader as mv_grader
    from sympy import Abs, Integer, Rational, Symbol, cos, exp, log, sin, sqrt

    from codereason import grade as grading
    from codereason import mathverify_parse

    grading._math_verify()
    x, y = Symbol("x", real=True), Symbol("y", real=True)
    z, i = Symbol("z"), Symbol("i", real=False)
    equal = [(sin(x) ** 2 + cos(x) ** 2, Integer(1)), ((x**2 - 1) / (x - 1), x + 1),
             (Integer(10) ** 40 + x - Integer(10) ** 40 + y, x + y), (log(exp(x)), x), (sqrt(x**2), Abs(x)),
             ((z + 1) ** 2, z**2 + 2 * z + 1), (((i + 1) / (1 - i)) ** 2, (i + 1) ** 2 / (i - 1) ** 2),
             (Rational(1, 3) + x, (1 + 3 * x) / 3)]
    different = [(Integer(6), ((i + 1) / (1 - i)) ** 100), (Integer(480), x * y**2),
                 (x + Rational(1, 10**6), x), (Integer(2), sqrt((1 - x) / x))]
    for a, b in equal:
        assert not mathverify_parse.differ_at_a_generic_point(a, b), (a, b)
        assert mathverify_parse.replaced_symbolic_eq(a, b) and mv_grader.sympy_symbolic_eq(a, b), (a, b)
    for a, b in different:
        assert mathverify_parse.differ_at_a_generic_point(a, b), (a, b)
        assert not mathverify_parse.replaced_symbolic_eq(a, b) and not mv_grader.sympy_symbolic_eq(a, b), (a, b)
    # equal at the point but not everywhere (|x| = x for x > 0): left to simplify, which says no
    assert not mathverify_parse.differ_at_a_generic_point(sqrt(x**2), x)
    assert not mv_grader.sympy_symbolic_eq(sqrt(x**2), x)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2:].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_a_corrupt_cache_is_reported_once_and_grading_goes_on(tmp_path, caplog):
    (tmp_path / "grades.sqlite").write_bytes(b"this is not a database" * 100)
    cache = GradeCache(tmp_path)
    pairs = [("1", "\\boxed{1}"), ("2", "\\boxed{3}")]
    assert [g.correct for g in grade_many(pairs, cache=cache)] == [True, False]
    assert [g.correct for g in grade_many(pairs, cache=cache)] == [True, False]
    warnings = [r.getMessage() for r in caplog.records if r.name == "codereason.grade"]
    assert len(warnings) == 1 and "cannot be used" in warnings[0] and "grading goes on without it" in warnings[0]
    assert cache.problem is not None
    assert (tmp_path / "grades.sqlite").read_bytes() == b"this is not a database" * 100  # left as it was


def test_a_cache_folder_that_cannot_be_made_is_reported_once(tmp_path, caplog):
    (tmp_path / "file").write_text("")
    cache = GradeCache(tmp_path / "file" / "cache")  # a folder inside a file
    assert grade_many([("1", "\\boxed{1}")], cache=cache)[0].correct is True
    assert len([r for r in caplog.records if r.name == "codereason.grade"]) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_cache_is_reported_once(tmp_path, caplog):
    GradeCache(tmp_path).close()
    (tmp_path / "grades.sqlite").chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        cache = GradeCache(tmp_path)
        assert [g.correct for g in grade_many([("1", "\\boxed{1}"), ("1", "\\boxed{2}")], cache=cache)] == [True, False]
        assert len([r for r in caplog.records if r.name == "codereason.grade"]) == 1
    finally:
        tmp_path.chmod(0o755)


def test_a_lone_surrogate_in_a_box_is_cached_and_read_back(tmp_path):
    cache = GradeCache(tmp_path)
    pairs = [("1", "\\boxed{\ud800}"), ("1", "\\boxed{1}")]
    first = grade_many(pairs, cache=cache)
    assert first[0].pred == "\ud800" and first[1].correct is True
    assert grade_many(pairs, cache=cache) == first  # served from the cache, surrogate intact
    assert cache.problem is None
    cache.close()


# (gold, box, expected fast grade or None = math-verify decides, note)
FAST_CASES = [
    ("\\frac{1}{2}", "\\dfrac{1}{2}", True, "dfrac is frac"),
    ("(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", True, "left/right and spaces"),
    ("12", "12", True, "equal strings"),
    ("12", "-12", False, "two integers"),
    ("12", "012", True, "leading zero: the same integer"),
    ("142.0", "142", None, "a float gold is math-verify's to compare"),
    ("\\frac{1}{2}", "0.5", None, "equal values, different strings: math-verify"),
    ("\\pi r", "\\pir", None, "a space between letters is kept"),
    ("\\leftarrow", "\\arrow", None, "\\left inside \\leftarrow is not removed"),
    ("1234567890123456789", "1234567890123456788", None, "integers past 15 digits: math-verify"),
    ("", "5", None, "no gold: math-verify's parse_error"),
]


@pytest.mark.parametrize("gold, box, expected, note", FAST_CASES, ids=[c[-1] for c in FAST_CASES])
def test_fast_path_cases(gold, box, expected, note):
    fast = fast_grade(gold, box)
    assert (None if fast is None else fast.correct) is expected
    if expected is not None:  # the fast path agrees with math-verify on it
        assert _verify(gold, parse_answer("", box), box).correct is expected


def _last_boxed_by_rescanning(text: str) -> str | None:
    """The extraction before 2026-12-02 (quadratic): the oracle the linear scan must agree with."""
    end = len(text)
    while True:
        start = max(text.rfind(cmd + "{", 0, end) for cmd in ("\\boxed", "\\fbox"))
        if start < 0:
            return None
        depth, open_at = 0, text.index("{", start)
        for index in range(open_at, len(text)):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            if depth == 0:
                return text[open_at + 1:index]
        end = start


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["\\boxed{", "\\fbox{", "{", "}", "x", "\\boxed", " 1 ", "\\fboxed{"]), max_size=30))
def test_linear_extraction_agrees_with_rescanning(parts):
    text = "".join(parts)
    assert last_boxed(text) == _last_boxed_by_rescanning(text)
