"""Grade final answers with math-verify, in a process pool with per-item timeouts.

The final answer is the content of the *last* ``\\boxed{...}`` of a response; a
response without one is parsed whole by math-verify (answer-anchored LaTeX, then
plain expressions) unless ``require_boxed`` is set, in which case it counts as
``no_answer``. The gold answer is parsed as ``\\boxed{gold}``. Comparison is
``math_verify.verify(gold, answer)``: the order matters (it is asymmetric).

math-verify's own timeouts use ``SIGALRM``, which fails outside the main thread
and cannot stop every runaway sympy call, so they are disabled here and each item
gets a wall-clock deadline in a worker process instead (:class:`GraderPool`): a
worker past its deadline is killed and replaced, and the item is graded
``timeout``. Results are cached on disk (:class:`GradeCache`), keyed by the
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
import os
import sqlite3
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from codereason.errors import ConfigError
from codereason.records import Grade
from codereason.workers import leave_interrupts_to_parent, resolve_jobs, worker_context

GRADER_VERSION = "mv1"  # bump when the grading rule changes: invalidates the cache
DEFAULT_TIMEOUT_S = 10.0
BOXED_COMMANDS = ("\\boxed", "\\fbox")

# One grading task: (gold, response, require_boxed).
Task = tuple


# ------------------------------------------------------------- answer extraction

def last_boxed(text: str) -> str | None:
    """The content of the last complete ``\\boxed{...}`` (or ``\\fbox{...}``), or None.

    Braces are matched by counting, so nested braces work; an unclosed box
    (a truncated response) does not count.

    >>> last_boxed("a \\\\boxed{1} b \\\\boxed{\\\\frac{1}{2}} c")
    '\\\\frac{1}{2}'
    >>> last_boxed("\\\\boxed{unclosed") is None
    True
    """
    end = len(text)
    while True:
        start = max(text.rfind(cmd + "{", 0, end) for cmd in BOXED_COMMANDS)
        if start < 0:
            return None
        content = _braced(text, text.index("{", start))
        if content is not None:
            return content
        end = start


def _braced(text: str, open_at: int) -> str | None:
    """The text inside the brace group opening at ``open_at``, or None if unclosed."""
    depth = 0
    for index in range(open_at, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1:index]
    return None


# ---------------------------------------------------------------- in-process rule

def _math_verify():
    """Import math-verify quietly (its warning about disabled timeouts is expected)."""
    import math_verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    return math_verify


def parse_gold(gold: str) -> list:
    """math-verify's parse of a gold answer (LaTeX and plain-expression extraction)."""
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

    Args:
        gold: the reference answer; None gives status ``parse_error``.
        response: the model's completion.
        require_boxed: a response without ``\\boxed{}`` is ``no_answer``.

    Returns:
        A :class:`~codereason.records.Grade`; ``correct`` is None unless the status is ``ok``.
    """
    boxed = last_boxed(response)
    has_boxed = boxed is not None
    if boxed is None and require_boxed:
        return Grade(None, None, False, "no_answer")
    answer = parse_answer(response, boxed)
    pred = _pred_text(answer, boxed)
    if not answer:
        status = "parse_error" if has_boxed and boxed.strip() else "no_answer"
        return Grade(None, pred, has_boxed, status)
    gold_parsed = parse_gold(gold) if gold is not None and str(gold).strip() else []
    if not gold_parsed:
        return Grade(None, pred, has_boxed, "parse_error")
    correct = _math_verify().verify(gold_parsed, answer, timeout_seconds=None)
    return Grade(bool(correct), pred, has_boxed, "ok")


def _pred_text(answer: list, boxed: str | None) -> str | None:
    """The extracted answer as text: the box content, else math-verify's matched string."""
    if boxed is not None:
        return boxed.strip()
    strings = [item for item in answer if isinstance(item, str)]
    return strings[-1] if strings else (str(answer[0]) if answer else None)


def _grade_task(task: Task) -> Grade:
    gold, response, require_boxed = task
    try:
        return grade(gold=gold, response=response, require_boxed=require_boxed)
    except Exception:  # math-verify/sympy failure on odd input: a status, never a crash
        boxed = last_boxed(response)
        return Grade(None, boxed, boxed is not None, "parse_error")


# ---------------------------------------------------------------- process pool

def _serve(conn) -> None:
    """Worker loop: receive (index, task), send (index, grade fields); stop on None."""
    leave_interrupts_to_parent()
    _math_verify()
    while True:
        message = conn.recv()
        if message is None:
            return
        index, task = message
        conn.send((index, tuple(_grade_task(task).to_dict().values())))


class _Worker:
    """One worker process with its pipe and the task it is working on."""

    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None
        self.deadline = 0.0

    def submit(self, index: int, task: Task, timeout_s: float) -> None:
        self.index, self.deadline = index, time.monotonic() + timeout_s
        self.conn.send((index, task))

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()


class GraderPool:
    """Worker processes that grade tasks with a wall-clock deadline per task.

    Use as a context manager. A worker that passes its deadline (or dies) is
    killed and replaced; its task is graded ``timeout`` (or ``parse_error``).

    Args:
        n_jobs: worker processes (-1: one per core).
        timeout_s: seconds allowed per response (parse + verify).
    """

    def __init__(self, n_jobs: int = 1, timeout_s: float = DEFAULT_TIMEOUT_S):
        if timeout_s is None or timeout_s <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds; got {timeout_s}")
        self.n_jobs = resolve_jobs(n_jobs)
        self.timeout_s = timeout_s
        self.n_timeouts = 0
        self._workers: list[_Worker] = []
        self._context = None

    def __enter__(self) -> "GraderPool":
        _math_verify()  # imported once here; forked workers inherit it
        self._context = worker_context()
        self._workers = [_Worker(self._context) for _ in range(self.n_jobs)]
        return self

    def __exit__(self, *exc_info) -> None:
        for worker in self._workers:
            worker.close()
        self._workers = []

    def map(self, tasks: Sequence[Task]) -> list[Grade]:
        """Grade every task; results in input order."""
        from multiprocessing.connection import wait

        results: list[Grade | None] = [None] * len(tasks)
        pending = deque(range(len(tasks)))
        while pending or any(w.index is not None for w in self._workers):
            self._feed(pending, tasks)
            busy = {w.conn: w for w in self._workers if w.index is not None}
            left = min(w.deadline for w in busy.values()) - time.monotonic()
            for conn in wait(list(busy), timeout=max(0.0, left)):
                self._collect(busy[conn], tasks, results)
            self._expire(tasks, results)
        return results  # type: ignore[return-value]

    def _feed(self, pending: deque, tasks: Sequence[Task]) -> None:
        for worker in self._workers:
            if worker.index is None and pending:
                index = pending.popleft()
                worker.submit(index, tasks[index], self.timeout_s)

    def _collect(self, worker: _Worker, tasks: Sequence[Task], results: list) -> None:
        try:
            index, fields = worker.conn.recv()
            results[index] = Grade(*fields)
        except (EOFError, OSError):  # the worker died (e.g. out of memory)
            results[worker.index] = _failed(tasks[worker.index], "parse_error")
            self._replace(worker)
            return
        worker.index = None

    def _expire(self, tasks: Sequence[Task], results: list) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.index is not None and worker.deadline <= now and results[worker.index] is None:
                results[worker.index] = _failed(tasks[worker.index], "timeout")
                self.n_timeouts += 1
                self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers[self._workers.index(worker)] = _Worker(self._context)


def _failed(task: Task, status: str) -> Grade:
    boxed = last_boxed(task[1])
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

    Args:
        directory: where ``grades.sqlite`` lives (default :func:`default_cache_dir`).
    """

    def __init__(self, directory: str | os.PathLike | None = None):
        self.path = Path(directory or default_cache_dir()) / "grades.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS grades (key TEXT PRIMARY KEY, correct INTEGER, pred TEXT,"
            " has_boxed INTEGER, status TEXT, timeout_s REAL)"
        )

    def get_many(self, keys: Sequence[str], timeout_s: float) -> dict[str, Grade]:
        """The cached grades among ``keys``."""
        found: dict[str, Grade] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, correct, pred, has_boxed, status, used in self._db.execute(
                f"SELECT key, correct, pred, has_boxed, status, timeout_s FROM grades WHERE key IN ({marks})", chunk
            ):
                if status != "timeout" or timeout_s <= used:
                    found[key] = Grade(None if correct is None else bool(correct), pred, bool(has_boxed), status)
        return found

    def put_many(self, items: Iterable[tuple[str, Grade]], timeout_s: float) -> None:
        """Store grades (replacing older ones with the same key)."""
        rows = [(k, None if g.correct is None else int(g.correct), g.pred, int(g.has_boxed), g.grade_status, timeout_s)
                for k, g in items]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()


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
    where it has one, and math-verify's verdict goes to ``mv_correct``.
    """
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
    "DEFAULT_TIMEOUT_S", "GRADER_VERSION", "GradeCache", "GraderPool", "cache_key",
    "GradeSummary", "default_cache_dir", "grade", "grade_many", "grade_rows", "last_boxed", "parse_answer", "parse_gold",
    "stored_correct",
]
