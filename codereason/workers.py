"""What the classifier's and the grader's worker processes share.

``-j``/``n_jobs`` means the same everywhere (:func:`resolve_jobs`), and a worker
leaves Ctrl-C to the main process (:func:`leave_interrupts_to_parent`), which
stops the workers and reports what was finished, instead of every worker
printing its own traceback; :func:`interrupts_deferred` holds Ctrl-C back
while the main process writes something that must not be cut in half.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from codereason.errors import ConfigError


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


def leave_interrupts_to_parent() -> None:
    """Call first thing in a worker process: it ignores Ctrl-C (SIGINT); the main process handles it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back for the duration of the block, then act on it.

    Python runs signal handlers in the main thread between bytecodes, so a
    KeyboardInterrupt can land in the middle of a copy; inside this block it
    waits for the end. Outside the main thread (where handlers cannot be set)
    the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)
