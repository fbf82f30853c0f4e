"""What the classifier's and the grader's worker processes share.

``-j``/``n_jobs`` means the same everywhere (:func:`resolve_jobs`), and a worker
leaves Ctrl-C to the main process (:func:`leave_interrupts_to_parent`), which
stops the workers and reports what was finished, instead of every worker
printing its own traceback.
"""

from __future__ import annotations

import os
import signal

from codereason.errors import ConfigError


def resolve_jobs(n_jobs: int) -> int:
    """A worker count: ``-1`` means one per core; anything below 1 is refused."""
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ConfigError(f"n_jobs must be a positive number of processes or -1 (all cores); got {n_jobs}")
    return n_jobs


def leave_interrupts_to_parent() -> None:
    """Call first thing in a worker process: it ignores Ctrl-C (SIGINT); the main process handles it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
