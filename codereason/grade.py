"""Grade final answers with math-verify, in a process pool with per-item timeouts.

The final answer is the content of the *last* ``\\boxed{...}`` of a response; a
response without one is parsed whole by math-verify (answer-anchored LaTeX, then
plain expressions) unless ``require_boxed`` is set, in which case it counts as
``no_answer``. The gold answer is parsed as ``\\boxed{gold}``. Comparison is
``math_verify.verify(gold, answer)``: the order matters (it is asymmetric).

math-verify's own timeouts use ``SIGALRM``, which fails outside the main thread
and cannot stop every runaway sympy call, so they are disabled here and
math-verify's work gets a wall-clock deadline in a worker process instead
(:class:`GraderPool`): a worker past its deadline is killed and replaced, and
the item is graded ``timeout``. What needs no math-verify (the last box, the
fast path of :func:`fast_grade`) is settled first in the main process, in time
linear in the length. Results are cached on disk (:class:`GradeCache`), keyed by the
SHA-256 of the response, the gold answer and the policy, so re-running is instant.

Agreement with other graders, measured on spurious-1p5b-gt-steps (whose files
were scored by Qwen's ``extract_answer`` + ``grade_answer``): with
``require_boxed`` the AIME/AMC ``pass@8`` equals the stored one in 13 of 15
files (off by one problem in the other two) and ``avg@8`` is within 0.8 points;
on MATH-500 math-verify is 1.4-1.6 points more lenient on trained checkpoints
and 2.0 points stricter at the base model (its unboxed answers count wrong);
without ``require_boxed`` the base model gains 5.4 points from answers that
math-verify finds in unboxed text (39.4% against the stored 36.0%).

>>> grade(gold="\\\\frac{1}{2}", response="So the answer is \\\\boxed{0.5}.")
Grade(correct=True, pred='0.5', has_boxed=True, grade_status='ok')
>>> grade(gold="3", response="I think it is 3", require_boxed=True).grade_status
'no_answer'
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from codereason.errors import ConfigError
from codereason.records import Grade
from codereason.workers import WorkerDied, WorkerPool, resolve_jobs

logger = logging.getLogger(__name__)

GRADER_VERSION = "mv2"  # bump when the grading rule changes: invalidates the cache
DEFAULT_TIMEOUT_S = 10.0
BOXED_COMMANDS = ("\\boxed", "\\fbox")

# One grading task: (gold, response, require_boxed).
Task = tuple


# ------------------------------------------------------------- answer extraction

# A box command with its opening brace, or a lone brace: the tokens of one scan for the last box.
_BOX_OR_BRACE = re.compile(r"\\(?:boxed|fbox)\{|[{}]")


def last_boxed(text: str) -> str | None:
    """The content of the last complete ``\\boxed{...}`` (or ``\\fbox{...}``), or None.

    Braces are matched by counting, so nested braces work; an unclosed box
    (a truncated response) does not count, and an earlier complete one is
    taken instead. One scan over the braces from the first box on, so the
    time is linear in the length of the text (20,000 unclosed boxes included).

    >>> last_boxed("a \\\\boxed{1} b \\\\boxed{\\\\frac{1}{2}} c")
    '\\\\frac{1}{2}'
    >>> last_boxed("\\\\boxed{unclosed") is None
    True
    >>> last_boxed("\\\\boxed{2} then \\\\boxed{unclosed")
    '2'
    """
    first = min((at for at in (text.find(cmd + "{") for cmd in BOXED_COMMANDS) if at >= 0), default=-1)
    if first < 0:
        return None
    open_braces: list[tuple[int, bool]] = []  # (index after the brace, whether it opens a box)
    last: tuple[int, int] | None = None  # (start, end) of the content of the complete box that starts last
    for token in _BOX_OR_BRACE.finditer(text, first):
        if token.group() != "}":
            open_braces.append((token.end(), token.group() != "{"))
        elif open_braces:
            start, is_box = open_braces.pop()
            if is_box and (last is None or start > last[0]):
                last = (start, token.start())
    return None if last is None else text[last[0]:last[1]]


# ---------------------------------------------------------------- in-process rule

def _math_verify():
    """Import math-verify quietly (its warning about disabled timeouts is expected), with the faster LaTeX parse."""
    import math_verify

    from codereason import mathverify_parse

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    mathverify_parse.install()  # the same parses, cached and two-stage (SLL, then LL)
    return math_verify


@lru_cache(maxsize=4096)
def parse_gold(gold: str) -> list:
    """math-verify's parse of a gold answer (LaTeX and plain-expression extraction); kept per
    process for the next response with the same gold (a problem's samples, other checkpoints)."""
    mv = _math_verify()
    text = gold if ("$" in gold or "\\boxed" in gold) else f"\\boxed{{{gold}}}"
    config = [mv.LatexExtractionConfig(boxed_match_priority=0), mv.ExprExtractionConfig()]
    return mv.parse(text, extraction_config=config, parsing_timeout=None)


def parse_answer(response: str, boxed: str | None) -> list:
    """math-verify's parse of a response: the last box alone, else the whole text."""
    mv = _math_verify()
    if boxed is not None:
        config = [mv.LatexExtractionConfig(boxed_match_priority=0), mv.ExprExtractionConfig()]
        return mv.parse(f"\\boxed{{{boxed}}}", extraction_config=config, parsing_timeout=None)
    config = [mv.LatexExtractionConfig(), mv.ExprExtractionConfig()]
    return mv.parse(response, extraction_config=config, parsing_timeout=None)


def grade(*, gold: str | None, response: str, require_boxed: bool = False) -> Grade:
    """Grade one response in this process (no timeout: use :func:`grade_many` for that).

    A boxed answer that equals the gold after :func:`normalised_answer` is
    correct, and one integer against another is compared as integers, both
    without math-verify (:func:`fast_grade`); otherwise math-verify decides.
    A box's grade depends only on its content and the gold, so it is kept
    per process for the next response with the same pair.

    Args:
        gold: the reference answer; None gives status ``parse_error``.
        response: the model's completion.
        require_boxed: a response without ``\\boxed{}`` is ``no_answer``.

    Returns:
        A :class:`~codereason.records.Grade`; ``correct`` is None unless the status is ``ok``.
    """
    boxed = last_boxed(response)
    gold = None if gold is None else str(gold)
    if boxed is not None:
        return _grade_box(gold, boxed)
    if require_boxed:
        return Grade(None, None, False, "no_answer")
    return _verify(gold, parse_answer(response, None), None)


@lru_cache(maxsize=16384)
def _grade_box(gold: str | None, boxed: str) -> Grade:
    """The grade of a response whose last box holds ``boxed``."""
    return fast_grade(gold, boxed) or _verify(gold, parse_answer("", boxed), boxed)


def _verify(gold: str | None, answer: list, boxed: str | None) -> Grade:
    """math-verify's verdict on a parsed answer."""
    has_boxed = boxed is not None
    pred = _pred_text(answer, boxed)
    if not answer:
        status = "parse_error" if has_boxed and boxed.strip() else "no_answer"
        return Grade(None, pred, has_boxed, status)
    gold_parsed = parse_gold(gold) if gold is not None and gold.strip() else []
    if not gold_parsed:
        return Grade(None, pred, has_boxed, "parse_error")
    correct = _math_verify().verify(gold_parsed, answer, timeout_seconds=None)
    return Grade(bool(correct), pred, has_boxed, "ok")


# ------------------------------------------------------------------ fast path

# What normalised_answer removes: LaTeX spacing commands and \left/\right (not \leftarrow).
_LATEX_SPACING = re.compile(r"\\[,;:! ]|\\(?:left|right)(?![A-Za-z])")
# \dfrac and \tfrac are \frac.
_FRAC_VARIANT = re.compile(r"\\[dt]frac(?![A-Za-z])")
# White space, except between two letters (`\pi r` is not `\pir`).
_SPACE = re.compile(r"(?<![A-Za-z])\s+|\s+(?![A-Za-z])")
# An integer as written in a box: optional sign, at most 15 digits (exact as a float too).
_INTEGER = re.compile(r"[-+]?\d{1,15}")


def normalised_answer(text: str) -> str:
    """An answer in a form where equal strings are equal answers: outer ``$``, LaTeX spacing,
    ``\\left``/``\\right`` and white space (except between letters) removed, ``\\dfrac``/``\\tfrac``
    written ``\\frac``.

    >>> normalised_answer(" $\\\\left( \\\\dfrac{1}{2}, 3 \\\\right)$ ")
    '(\\\\frac{1}{2},3)'
    """
    text = _LATEX_SPACING.sub(" ", text.strip().strip("$"))
    return _SPACE.sub("", _FRAC_VARIANT.sub(r"\\frac", text))


def fast_grade(gold: str | None, boxed: str) -> Grade | None:
    """The grade of a box without math-verify where the strings settle it, else None.

    Equal after :func:`normalised_answer`: correct. Two different integers: incorrect.

    >>> fast_grade("\\\\frac{1}{2}", " \\\\dfrac{1}{2} ")
    Grade(correct=True, pred='\\\\dfrac{1}{2}', has_boxed=True, grade_status='ok')
    >>> fast_grade("12", "-12").correct, fast_grade("12", "0.5") is None
    (False, True)
    """
    if gold is None:
        return None
    answer, expected = normalised_answer(boxed), normalised_answer(gold)
    if not expected:
        return None
    if answer == expected:
        return Grade(True, boxed.strip(), True, "ok")
    if _INTEGER.fullmatch(answer) and _INTEGER.fullmatch(expected):
        return Grade(int(answer) == int(expected), boxed.strip(), True, "ok")
    return None


def _pred_text(answer: list, boxed: str | None) -> str | None:
    """The extracted answer as text: the box content, else math-verify's matched string."""
    if boxed is not None:
        return boxed.strip()
    strings = [item for item in answer if isinstance(item, str)]
    return strings[-1] if strings else (str(answer[0]) if answer else None)


def _grade_task(task: Task) -> Grade:
    """One response graded whole, as :func:`grade` does (a math-verify failure is ``parse_error``, never a crash)."""
    gold, response, require_boxed = task
    try:
        return grade(gold=gold, response=response, require_boxed=require_boxed)
    except Exception:  # math-verify/sympy failure on odd input: a status, never a crash
        return _failed(last_boxed(response), "parse_error")


def _grade_box_task(gold: str | None, boxed: str) -> Grade:
    """What a grading worker runs for a box the fast path did not settle: math-verify on the box."""
    try:
        return _grade_box(gold, boxed)
    except Exception:
        return _failed(boxed, "parse_error")


def _grade_text_task(gold: str | None, response: str) -> Grade:
    """What a grading worker runs for a response without a box (lenient policy): math-verify on the text."""
    try:
        return _verify(gold, parse_answer(response, None), None)
    except Exception:
        return _failed(None, "parse_error")


def check_timeout(timeout_s) -> float:
    """``timeout_s`` as seconds if it is a finite number above 0, else :class:`ConfigError`."""
    try:
        seconds = float(timeout_s)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"--timeout (timeout_s) must be a finite number of seconds above 0; got {timeout_s}")
    return seconds


# ---------------------------------------------------------------- process pool

# Box grades a pool keeps for the rest of the run (a (gold, box) pair recurs across samples and checkpoints).
BOX_GRADES_KEPT = 1 << 16


class GraderPool:
    """Worker processes that grade tasks with a wall-clock deadline per task.

    Use as a context manager. :meth:`map` settles in this process what needs
    no math-verify: the last box is found (one linear scan), a response without
    one is ``no_answer`` under ``require_boxed``, and a box equal to the gold
    after normalisation, or one integer against another, is graded by
    :func:`fast_grade`; a box already graded in this run gets that grade. The
    rest go to the workers, one task per distinct (gold, box) or per unboxed
    response, each with its own deadline: a worker still on a task at its
    deadline is killed and replaced (pebble's ``schedule(timeout=)``) and the
    task is graded ``timeout``; a worker that dies on a task (e.g. killed for
    memory) is replaced too, and the task is graded ``parse_error``. The grades
    are those :func:`grade` gives, response by response
    (``tests/test_grade.py::test_the_pool_gives_the_grades_of_grade_on_real_responses``).

    Args:
        n_jobs: worker processes (-1: one per core).
        timeout_s: seconds allowed per task (math-verify's parse + verify),
            a finite number above 0.
    """

    def __init__(self, n_jobs: int = 1, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.timeout_s = check_timeout(timeout_s)
        self.n_jobs = resolve_jobs(n_jobs)
        self.n_timeouts = 0  # responses graded `timeout`
        self.n_died = 0  # responses whose worker died
        self._pool: WorkerPool | None = None
        self._box_grades: dict[tuple[str | None, str], Grade] = {}

    def __enter__(self) -> "GraderPool":
        _math_verify()  # imported once here; forked workers inherit it
        self._pool = WorkerPool(self.n_jobs, "a grading worker process").__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.__exit__(*exc_info)

    def map(self, tasks: Sequence[Task]) -> list[Grade]:
        """Grade every task; results in input order."""
        grades: list[Grade | None] = [None] * len(tasks)
        waiting: dict[tuple, list[int]] = {}  # one worker task -> the responses it grades
        for i, (gold, response, require_boxed) in enumerate(tasks):
            gold = None if gold is None else str(gold)  # as grade() takes it
            boxed = last_boxed(response)
            if boxed is None and require_boxed:
                grades[i] = Grade(None, None, False, "no_answer")
            elif boxed is None:
                waiting.setdefault(("text", gold, response), []).append(i)
            else:
                grades[i] = fast_grade(gold, boxed) or self._box_grades.get((gold, boxed))
                if grades[i] is None:
                    waiting.setdefault(("box", gold, boxed), []).append(i)
        futures = [(work, self._submit(work)) for work in waiting]
        for work, future in futures:
            grade, keep = self._outcome(work, future, len(waiting[work]))
            if keep and work[0] == "box":
                self._keep_box_grade(work[1:], grade)
            for i in waiting[work]:
                grades[i] = grade
        return grades  # type: ignore[return-value]

    def _submit(self, work: tuple):
        kind, gold, text = work
        task = _grade_box_task if kind == "box" else _grade_text_task
        return self._pool.submit(task, gold, text, timeout=self.timeout_s)

    def _outcome(self, work: tuple, future, n_responses: int) -> tuple[Grade, bool]:
        """The grade of one worker task, and whether it may be kept for the same box later (not after a death)."""
        kind, _, text = work
        boxed = text if kind == "box" else None
        try:
            return self._pool.result(future), True
        except TimeoutError:
            self.n_timeouts += n_responses
            return _failed(boxed, "timeout"), True
        except WorkerDied:
            self.n_died += n_responses
            return _failed(boxed, "parse_error"), False

    def _keep_box_grade(self, pair: tuple[str | None, str], grade: Grade) -> None:
        if len(self._box_grades) >= BOX_GRADES_KEPT:
            self._box_grades.clear()
        self._box_grades[pair] = grade


def _failed(boxed: str | None, status: str) -> Grade:
    """The grade of a response whose worker task did not finish; ``boxed``: its last box, if any."""
    return Grade(None, None if boxed is None else boxed.strip(), boxed is not None, status)


# ---------------------------------------------------------------------- cache

def default_cache_dir() -> Path:
    """``$CODEREASON_CACHE``, else ``~/.cache/codereason``."""
    return Path(os.environ.get("CODEREASON_CACHE") or Path.home() / ".cache" / "codereason")


def cache_key(task: Task) -> str:
    """SHA-256 over the grader version, the policy, the gold answer and the response."""
    gold, response, require_boxed = task
    digest = hashlib.sha256(response.encode("utf-8", "surrogatepass")).hexdigest()
    material = f"{GRADER_VERSION}\0{int(require_boxed)}\0{gold}\0{digest}"
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


class GradeCache:
    """Grades on disk (SQLite), keyed by :func:`cache_key`.

    A cached ``timeout`` is reused only when the current timeout is no longer
    than the one that produced it, so a longer timeout retries those items.
    A cache that cannot be used (not a database, read-only, a folder that
    cannot be made) is reported once, as a warning of the ``codereason.grade``
    logger (one line on stderr by default), and grading goes on without it;
    ``problem`` then says why.

    Args:
        directory: where ``grades.sqlite`` lives (default :func:`default_cache_dir`).
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.path = Path(directory or default_cache_dir()) / "grades.sqlite"
        self.problem: str | None = None
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS grades (key TEXT PRIMARY KEY, correct INTEGER, pred TEXT,"
                " has_boxed INTEGER, status TEXT, timeout_s REAL)"
            )
        except (sqlite3.Error, OSError) as error:
            self._give_up(error)

    def get_many(self, keys: Sequence[str], timeout_s: float) -> dict[str, Grade]:
        """The cached grades among ``keys``."""
        found: dict[str, Grade] = {}
        try:
            for start in range(0, len(keys) if self._db else 0, 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, correct, pred, has_boxed, status, used in self._db.execute(
                    f"SELECT key, correct, pred, has_boxed, status, timeout_s FROM grades WHERE key IN ({marks})", chunk
                ):
                    if status != "timeout" or timeout_s <= used:
                        found[key] = Grade(None if correct is None else bool(correct), _text(pred), bool(has_boxed), status)
        except sqlite3.Error as error:
            self._give_up(error)
            return {}
        return found

    def put_many(self, items: Iterable[tuple[str, Grade]], timeout_s: float) -> None:
        """Store grades (replacing older ones with the same key)."""
        if self._db is None:
            return
        rows = [(k, None if g.correct is None else int(g.correct), _storable(g.pred), int(g.has_boxed), g.grade_status,
                 timeout_s) for k, g in items]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as error:
            self._give_up(error)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _give_up(self, error: Exception) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None
        if self.problem is None:
            self.problem = f"the grade cache {self.path} cannot be used ({error}); grading goes on without it"
            logger.warning("warning: %s", self.problem)


def _storable(pred: str | None):
    """``pred`` as SQLite takes it: text, or UTF-8 bytes where it holds a lone surrogate (text would fail)."""
    if pred is None:
        return None
    try:
        pred.encode("utf-8")
        return pred
    except UnicodeEncodeError:
        return pred.encode("utf-8", "surrogatepass")


def _text(pred) -> str | None:
    return pred.decode("utf-8", "surrogatepass") if isinstance(pred, bytes) else pred


# ------------------------------------------------------------------ batch API

def grade_many(
    pairs: Iterable[tuple[str | None, str]],
    *,
    require_boxed: bool = False,
    n_jobs: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache: GradeCache | None = None,
    pool: GraderPool | None = None,
) -> list[Grade]:
    """Grade ``(gold, response)`` pairs with per-item timeouts, using the cache.

    Args:
        pairs: ``(gold, response)`` tuples (gold first, like ``verify``).
        require_boxed: unboxed responses are ``no_answer``.
        n_jobs: worker processes when no ``pool`` is given.
        timeout_s: seconds per item.
        cache: a :class:`GradeCache`, or None for no caching.
        pool: an open :class:`GraderPool` to reuse across calls.

    Returns:
        One :class:`~codereason.records.Grade` per pair, in order.
    """
    check_timeout(timeout_s)
    tasks = [(None if g is None else str(g), r, bool(require_boxed)) for g, r in pairs]
    keys = [cache_key(t) for t in tasks] if cache is not None else []
    known = cache.get_many(keys, timeout_s) if cache is not None else {}
    todo = [i for i in range(len(tasks)) if not keys or keys[i] not in known]
    fresh = _run_pool([tasks[i] for i in todo], n_jobs, timeout_s, pool) if todo else []
    if cache is not None:
        cache.put_many(((keys[i], g) for i, g in zip(todo, fresh)), timeout_s)
    results = [known.get(k) for k in keys] if keys else [None] * len(tasks)
    for i, g in zip(todo, fresh):
        results[i] = g
    return results  # type: ignore[return-value]


def _run_pool(tasks: list[Task], n_jobs: int, timeout_s: float, pool: GraderPool | None) -> list[Grade]:
    if pool is not None:
        return pool.map(tasks)
    with GraderPool(min(resolve_jobs(n_jobs), len(tasks)), timeout_s) as own:
        return own.map(tasks)


@dataclass
class GradeSummary:
    """Counts for the ``grade`` summary: statuses, correct, stored-score agreement."""

    n: int = 0
    correct: int = 0
    statuses: Counter = field(default_factory=Counter)
    n_stored: int = 0
    agree: int = 0

    def add(self, grade: Grade, stored: bool | None) -> None:
        """Count one graded response (``stored``: its stored verdict, or None)."""
        self.n += 1
        self.statuses[grade.grade_status] += 1
        final = stored if stored is not None else grade.correct
        self.correct += final is True
        if stored is not None:
            self.n_stored += 1
            self.agree += stored == (grade.correct is True)


def grade_rows(
    rows: Iterable[dict],
    summary: GradeSummary,
    *,
    require_boxed: bool = False,
    use_stored_score: bool = False,
    n_jobs: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache: GradeCache | None = None,
    batch_size: int = 1024,
) -> Iterator[dict]:
    """Yield each row with the :class:`~codereason.records.Grade` fields added, in batches.

    With ``use_stored_score``, ``correct`` is the row's ``stored_score`` (> 0.5)
    where it has one, and math-verify's verdict goes to ``mv_correct``. The
    arguments are checked on the call, before the first row is read.

    Raises:
        ConfigError: ``timeout_s`` is not a finite number above 0, or ``n_jobs`` is below 1 (and not -1).
    """
    check_timeout(timeout_s)
    resolve_jobs(n_jobs)
    return _graded_rows(rows, summary, require_boxed, use_stored_score, n_jobs, timeout_s, cache, batch_size)


def _graded_rows(rows, summary, require_boxed, use_stored_score, n_jobs, timeout_s, cache, batch_size) -> Iterator[dict]:
    rows = iter(rows)
    with GraderPool(n_jobs, timeout_s) as pool:
        while batch := list(islice(rows, batch_size)):
            grades = grade_many([(r.get("gold"), r["response"]) for r in batch], require_boxed=require_boxed,
                                timeout_s=timeout_s, cache=cache, pool=pool)
            for row, grade in zip(batch, grades):
                stored = stored_correct(row.get("stored_score")) if use_stored_score else None
                summary.add(grade, stored)
                fields = grade.to_dict()
                if stored is not None:
                    fields.update(correct=stored, mv_correct=grade.correct)
                yield {**row, **fields}


def stored_correct(score: float | None) -> bool | None:
    """A stored score as correctness: > 0.5 is correct; None stays None."""
    return None if score is None else bool(float(score) > 0.5)


__all__ = [
    "DEFAULT_TIMEOUT_S", "GRADER_VERSION", "GradeCache", "GraderPool", "cache_key", "check_timeout",
    "GradeSummary", "default_cache_dir", "fast_grade", "grade", "grade_many", "grade_rows", "last_boxed",
    "normalised_answer", "parse_answer", "parse_gold", "stored_correct",
]
