"""Worker processes: the one policy every pool of codereason follows.

The classifier (:func:`~codereason.classifier.classify_many`,
:func:`~codereason.classifier.classify_batches`), the tagger's pieces
(:func:`~codereason.tagging.tag_files`) and the grader
(:class:`~codereason.grade.GraderPool`) all start their workers here, and so:

- ``-j``/``n_jobs`` means the same everywhere (:func:`resolve_jobs`);
- a worker ignores Ctrl-C (SIGINT), from the moment it is forked; the main
  process handles it, stops the workers and reports what was finished;
- a worker never outlives the main process: on Linux the kernel kills it when
  its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), elsewhere a thread in
  the worker watches the parent (:func:`die_with_parent`), so SIGKILL or SIGTERM
  of ``codereason tag -j 2`` or ``grade`` leaves no process behind;
- Ctrl-C reaches the main process only at points of ours: while it schedules
  a task or waits for one (:meth:`WorkerPool.submit`, :meth:`WorkerPool.result`)
  Ctrl-C is held back and raised when the call is between steps, never inside
  the locks of pebble or of a queue (a KeyboardInterrupt there left a lock
  held and the stop waiting on it for ever);
- stopping is bounded and cannot be cut short: a second Ctrl-C while the
  workers are being stopped is held back (:func:`interrupts_held`), then
  dropped, since the first one is already ending the run; an abandoned pool's
  workers are killed at once and its threads get :data:`ABANDON_LIMIT_S`
  (pebble's own stop can wait 60 s on a channel lock a killed worker held);
  workers that do not leave on SIGTERM are killed (:func:`stop_processes`);
- SIGTERM of the main process (``kill PID``) is a Ctrl-C that says so
  (:func:`terminate_as_interrupt`): the run stops the same way, removes its
  part folder and temporary files, and exits 143;
- a worker that dies is a :class:`~codereason.errors.WorkerError` that says
  what to do, never missing results.

:class:`WorkerPool` is a `pebble <https://pypi.org/project/Pebble/>`_
``ProcessPool`` under that policy; pebble's ``schedule(timeout=)`` kills and
replaces a worker stuck past a task's deadline (the grader's timeouts).
:func:`part_folder` makes the hidden folder a run keeps its part files in and
removes those that runs killed before they could clean up left behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import CancelledError
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from codereason.errors import ConfigError, WorkerError

# Seconds a worker has to leave after SIGTERM before it is killed.
TERMINATE_GRACE_S = 2.0
# How often a parent watch (platforms without PR_SET_PDEATHSIG) looks at the parent.
PARENT_WATCH_INTERVAL_S = 0.5
# A wait for a worker's result is made of slices this long; Ctrl-C is acted on between two.
WAIT_SLICE_S = 0.1
# Seconds the threads of an abandoned pool (its workers already killed) get to end; after that they are left
# to die with the process (they are daemon threads).
ABANDON_LIMIT_S = 5.0


def resolve_jobs(n_jobs: int) -> int:
    """A worker count: ``-1`` means one per core; anything below 1 is refused."""
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ConfigError(f"-j/--jobs (n_jobs) must be a positive number of processes or -1 (all cores); got {n_jobs}")
    return n_jobs


def worker_context():
    """The multiprocessing context for worker pools: ``fork`` where the platform has it (workers
    inherit what this process loaded: the parser, a learned model, math-verify), else ``spawn``."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def may_have_workers() -> bool:
    """False inside a daemonic process (e.g. a worker of someone else's pool), which may not start children."""
    return not multiprocessing.current_process().daemon


# ------------------------------------------------------------ the worker side

def start_worker(parent_pid: int) -> None:
    """Call first thing in every worker process: ignore Ctrl-C and die with ``parent_pid``."""
    leave_interrupts_to_parent()
    die_with_parent(parent_pid)


def leave_interrupts_to_parent() -> None:
    """Ignore Ctrl-C (SIGINT) in this (worker) process: the main process handles it. SIGTERM ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def die_with_parent(parent_pid: int, use_prctl: bool = True) -> None:
    """Make this process end when ``parent_pid``, its parent, ends (however it ends, SIGKILL included).

    On Linux the kernel sends this process SIGKILL when its parent dies
    (``PR_SET_PDEATHSIG``); elsewhere, or with ``use_prctl=False``, a daemon
    thread checks every :data:`PARENT_WATCH_INTERVAL_S` whether the parent
    is still there and ends the process when it is not.
    """
    if not (use_prctl and _set_parent_death_signal(signal.SIGKILL)):
        threading.Thread(target=_watch_parent, args=(parent_pid,), name="codereason-parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)


def _set_parent_death_signal(signum: int) -> bool:
    """``prctl(PR_SET_PDEATHSIG, signum)``; False where the platform has no such call."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(1, int(signum), 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_WATCH_INTERVAL_S)
    os._exit(1)


# Pools of ours open in this process: while any is, a forked child ignores SIGINT from its first
# instruction on (a Ctrl-C between the fork and the worker's own set-up would print a traceback).
_OPEN_POOLS = 0


def _ignore_interrupts_in_our_forks() -> None:
    if signal.getsignal(signal.SIGTERM) is _terminate:  # a child of the CLI: SIGTERM ends it, as by default
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _OPEN_POOLS:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ignore_interrupts_in_our_forks)


@contextmanager
def workers_open() -> Iterator[None]:
    """Mark the block as one where this process forks workers (see :func:`start_worker`)."""
    global _OPEN_POOLS
    _OPEN_POOLS += 1
    try:
        yield
    finally:
        _OPEN_POOLS -= 1


# ------------------------------------------------------------ the main side

@contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Hold Ctrl-C (SIGINT) back for the duration of the block, then act on it.

    Python runs signal handlers in the main thread between bytecodes, so a
    KeyboardInterrupt can land in the middle of a copy; inside this block it
    waits for the end. The block gets the list of signals received so far
    (a loop may end early on one). Outside the main thread (where handlers
    cannot be set) the block runs as it is.
    """
    with interrupts_held() as received:
        yield received
    handler = signal.getsignal(signal.SIGINT)
    if received and callable(handler):
        handler(signal.SIGINT, None)


@contextmanager
def interrupts_held() -> Iterator[list[int]]:
    """Hold Ctrl-C back during the block; yield the list of the signals received meanwhile
    (empty if none). What to do with them is the caller's choice."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


_last_stop_signal = signal.SIGINT


def terminate_as_interrupt() -> None:
    """Make SIGTERM of this (main) process act as Ctrl-C does at that moment, and remember it.

    A run stopped by ``kill PID`` then stops its workers, removes its part
    folder and temporary files and reports what it wrote, as after Ctrl-C;
    :func:`stop_signal` tells the two apart (exit code 128 + signal). Where
    Ctrl-C is ignored (a run started in the background by a shell),
    SIGTERM still ends the process.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum, frame) -> None:
    global _last_stop_signal
    _last_stop_signal = signum
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        raise SystemExit(128 + signum)
    handler(signal.SIGINT, frame)


def stop_signal() -> int:
    """The signal that stopped the run: SIGINT (Ctrl-C) unless SIGTERM came (see :func:`terminate_as_interrupt`)."""
    return _last_stop_signal


def cleanup_shield(failed: bool):
    """The guard around stopping workers: Ctrl-C is held back until they are stopped; then, if the
    run is ``failed`` (an error or a first Ctrl-C is already on its way), dropped, else acted on."""
    return interrupts_held() if failed else interrupts_deferred()


def stop_processes(processes: Sequence[multiprocessing.process.BaseProcess], grace_s: float = TERMINATE_GRACE_S) -> None:
    """SIGTERM each process, wait up to ``grace_s`` in all, then SIGKILL those still there; returns when all ended."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join()


class WorkerDied(WorkerError):
    """One worker died on a task (killed for memory, signalled); ``pid`` and ``exitcode`` say which and how."""

    def __init__(self, message: str, pid: int | None = None, exitcode: int | None = None):
        super().__init__(message)
        self.pid, self.exitcode = pid, exitcode


def worker_died(what: str, pid: int | None = None, exitcode: int | None = None, fewer_jobs: str = "") -> WorkerDied:
    """The error for a worker that died before returning its results."""
    how = ""
    if exitcode is not None:
        how = f", killed by {_signal_name(-exitcode)}" if exitcode < 0 else f", exit code {exitcode}"
    who = f"{what} (pid {pid}{how})" if pid is not None else what
    hint = f"retry with fewer jobs ({fewer_jobs})" if fewer_jobs else "retry with fewer jobs"
    return WorkerDied(f"{who} died before returning its results (killed for memory?); {hint}", pid, exitcode)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class WorkerPool:
    """Worker processes under the policy of this module (a pebble ``ProcessPool``).

    Use as a context manager. Leaving the block normally waits for the
    scheduled tasks; leaving it on an exception (Ctrl-C included) stops the
    workers at once, with Ctrl-C held back meanwhile.

    Args:
        n_jobs: worker processes (as :func:`resolve_jobs`).
        what: the workers in an error message, e.g. ``"a tagging worker process"``.
        fewer_jobs: what ``-j 1`` does instead, for the error message.
        initializer, initargs: run in each worker after :func:`start_worker`.
    """

    def __init__(self, n_jobs: int, what: str = "a worker process", fewer_jobs: str = "",
                 initializer: Callable | None = None, initargs: tuple = ()):
        self.n_jobs, self.what, self.fewer_jobs = resolve_jobs(n_jobs), what, fewer_jobs
        self._initializer, self._initargs = initializer, initargs
        self._pool = None
        self._opened = None

    def __enter__(self) -> "WorkerPool":
        from pebble import ProcessPool

        self._opened = workers_open()
        self._opened.__enter__()
        self._pool = ProcessPool(self.n_jobs, initializer=_start_pool_worker,
                                 initargs=(os.getpid(), self._initializer, self._initargs), context=worker_context())
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close(wait=exc_type is None)

    def close(self, wait: bool = True) -> None:
        """End the pool: with ``wait``, after the scheduled tasks; else now. Ctrl-C is held back meanwhile."""
        if self._pool is None:
            return
        with cleanup_shield(failed=not wait):
            try:
                if wait:
                    self._pool.close()
                    self._pool.join()
                else:
                    _abandon(self._pool)
            finally:
                self._pool = None
                self._opened.__exit__(None, None, None)

    def submit(self, function: Callable, *args: Any, timeout: float | None = None):
        """Schedule ``function(*args)``; a worker still on it after ``timeout`` seconds is killed and replaced.
        Ctrl-C during the call is raised when it returns (never inside the task queue's lock)."""
        with interrupts_deferred():
            return self._pool.schedule(function, args=args, timeout=timeout)

    def result(self, future, timeout: float | None = None) -> Any:
        """What ``future`` returned.

        The wait is made of :data:`WAIT_SLICE_S` slices with Ctrl-C held back, so
        a KeyboardInterrupt is raised here, between two, and never inside pebble.

        Raises:
            WorkerDied: the worker died on this task.
            WorkerError: the pool broke (no worker could be started or all died).
            TimeoutError: ``timeout`` passed first, or the task's own deadline did (its worker
                was then killed and replaced).
        """
        from concurrent.futures.process import BrokenProcessPool

        from pebble import ProcessExpired

        if not _wait_done(future, timeout):
            raise TimeoutError(f"no result after {timeout} s")
        try:
            return future.result(timeout=0)
        except ProcessExpired as error:
            raise worker_died(self.what, error.pid, error.exitcode, self.fewer_jobs) from None
        except (BrokenProcessPool, CancelledError):
            hint = f" ({self.fewer_jobs})" if self.fewer_jobs else ""
            raise WorkerError(f"the pool of {self.what.removeprefix('a ')}es broke (workers killed or not started);"
                              f" retry with fewer jobs{hint}") from None


def _wait_done(future, timeout: float | None) -> bool:
    """Wait for ``future`` (at most ``timeout`` s) in slices, Ctrl-C acted on between them; whether it is done."""
    from concurrent.futures import wait

    deadline = None if timeout is None else time.monotonic() + timeout
    with interrupts_deferred() as received:
        while not future.done() and not received:
            left = WAIT_SLICE_S if deadline is None else min(WAIT_SLICE_S, deadline - time.monotonic())
            if left <= 0:
                break
            wait([future], timeout=left)
    return future.done()


def _pool_workers(pool) -> list[multiprocessing.process.BaseProcess]:
    """The worker processes of the pebble ``pool``.

    pebble keeps them in its worker manager (not a public attribute); where
    that is not found, every pebble worker of this process (pebble names them
    so, and its own exit handler finds them by that name).
    """
    workers = getattr(getattr(getattr(pool, "_pool_manager", None), "worker_manager", None), "workers", None)
    if isinstance(workers, dict):
        while True:
            try:
                return list(workers.values())
            except RuntimeError:  # pebble's manager thread changed it meanwhile
                continue
    from pebble.pool.process import WORKERS_NAME

    return [child for child in multiprocessing.active_children() if child.name == WORKERS_NAME]


def _abandon(pool) -> None:
    """Stop a pebble pool whose results are no longer wanted, in bounded time.

    Its workers are killed first (a worker writing results nobody reads, or one
    killed holding a channel lock, makes pebble's own stop wait up to 60 s);
    its threads then get :data:`ABANDON_LIMIT_S` to end.
    """
    workers = _pool_workers(pool)
    pool.stop()
    for worker in workers:
        worker.kill()
    joining = threading.Thread(target=pool.join, name="codereason-pool-stop", daemon=True)
    joining.start()
    joining.join(ABANDON_LIMIT_S)
    for worker in [*workers, *_pool_workers(pool)]:  # replacements started meanwhile too
        if worker.is_alive():
            worker.kill()
        worker.join(TERMINATE_GRACE_S)


def _start_pool_worker(parent_pid: int, initializer: Callable | None, initargs: tuple) -> None:
    start_worker(parent_pid)
    if initializer is not None:
        initializer(*initargs)


# ------------------------------------------------------------ part folders

def part_folder(output: Path) -> Path:
    """A new hidden folder beside ``output`` for a run's part files, ``.NAME.parts-PID-XXXX``.

    Part folders of ``output`` whose run has died (a SIGKILL leaves them; the
    pid in the name is not running) are removed first.
    """
    remove_stale_part_folders(output)
    return Path(tempfile.mkdtemp(prefix=f".{output.name}.parts-{os.getpid()}-", dir=output.parent))


def remove_stale_part_folders(output: Path) -> list[Path]:
    """Remove the part folders of ``output`` left by runs no longer running; return them."""
    removed = []
    pattern = re.compile(rf"\.{re.escape(output.name)}\.parts-(?:(\d+)-)?.+")
    for candidate in output.parent.glob(f".{output.name}.parts-*"):
        match = pattern.fullmatch(candidate.name)
        if match and candidate.is_dir() and not _running(match.group(1)):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _running(pid: str | None) -> bool:
    """Whether the process ``pid`` exists (None: a folder from before the pid was in the name: stale)."""
    if pid is None:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
