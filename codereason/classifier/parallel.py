"""Label many responses in several processes: :func:`classify_many`, :func:`classify_batches`."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from codereason.classifier.rules import MODES, classify, load_classifier
from codereason.errors import ConfigError
from codereason.records import CodeLabel
from codereason.workers import (
    WorkerPool,
    cleanup_shield,
    may_have_workers,
    resolve_jobs,
    start_worker,
    stop_processes,
    worker_died,
    workers_open,
)

T = TypeVar("T")  # an item of a batch (classify_batches)


def classify_many(texts: Iterable[str], mode: str = "ast", n_jobs: int = 1) -> list[CodeLabel]:
    """Label many responses, optionally in ``n_jobs`` processes.

    With ``n_jobs > 1`` on a platform that forks (Linux, macOS), this process
    forks ``n_jobs - 1`` children and labels alongside them, so ``n_jobs``
    processes work and none waits idle. Each process takes the next chunk of
    responses from a shared counter until none is left (long and short
    responses even out); the children inherit the texts, and only their
    labels travel back, through a pipe, once at the end. Elsewhere a spawned
    pool labels the texts. Inputs under :data:`MIN_TEXTS_PER_JOB` responses
    per process run in this process.

    Args:
        texts: the responses.
        mode: as for :func:`classify`.
        n_jobs: processes (1 = this one only; -1 = one per core).

    Raises:
        WorkerError: a child died before returning its labels (e.g. killed
            for memory); nothing is returned half-labelled.
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    texts = list(texts)
    n_jobs = min(resolve_jobs(n_jobs), max(1, len(texts) // MIN_TEXTS_PER_JOB))
    if n_jobs == 1 or not may_have_workers():
        return [classify(text, mode) for text in texts]
    if "fork" in multiprocessing.get_all_start_methods():
        return _classify_forked(texts, mode, n_jobs)
    size = max(1, len(texts) // (4 * n_jobs))
    chunks = [texts[start:start + size] for start in range(0, len(texts), size)]
    return [label for _, labels in classify_batches(chunks, mode, n_jobs) for label in labels]


# Below this many responses per process, forking costs more than it saves.
MIN_TEXTS_PER_JOB = 64

# The texts of the running classify_many call, inherited by its forked children.
_FORKED_TEXTS: list[str] = []

# Labels of consecutive texts from one process: (index of the first text, labels).
_Chunk = tuple[int, list[CodeLabel]]


def _classify_forked(texts: list[str], mode: str, n_jobs: int) -> list[CodeLabel]:
    """Label ``texts`` in this process and ``n_jobs - 1`` forked children, chunk by chunk.

    Children send each chunk's labels as soon as it is done, and this process
    takes them in between its own chunks: unpickling them is then shared out
    by the same counter as the labelling, instead of waiting at the end.
    """
    global _FORKED_TEXTS
    _FORKED_TEXTS = texts
    load_classifier(mode)  # once, for all
    context = multiprocessing.get_context("fork")
    next_start = context.Value("q", 0)  # index of the first text no process has taken yet
    chunk_size = max(16, min(512, len(texts) // (32 * n_jobs)))
    children, chunks, failed = [], [], True
    try:
        with workers_open():
            for _ in range(1, n_jobs):
                receiver, sender = context.Pipe(duplex=False)
                child = context.Process(target=_classify_in_child, args=(os.getpid(), sender, next_start, chunk_size, mode),
                                        daemon=True)
                child.start()
                sender.close()
                children.append(_Child(child, receiver))

        def keep_and_take_in(chunk: _Chunk) -> None:
            chunks.append(chunk)
            for child in children:
                chunks.extend(child.ready_chunks())

        _classify_chunks(next_start, chunk_size, mode, keep_and_take_in)
        for child in children:
            chunks.extend(child.remaining_chunks())
        failed = False
    finally:  # also on Ctrl-C: the children are stopped before anything else happens
        _FORKED_TEXTS = []
        with cleanup_shield(failed=failed or sys.exc_info()[0] is not None):
            for child in children:
                child.receiver.close()
            stop_processes([child.process for child in children])
    labels: list = [None] * len(texts)
    for start, chunk_labels in chunks:
        labels[start:start + len(chunk_labels)] = chunk_labels
    return labels


def _classify_chunks(next_start, chunk_size: int, mode: str, deliver: Callable[[_Chunk], None]) -> None:
    """Take chunks of ``_FORKED_TEXTS`` off the shared counter, label each and ``deliver`` it, until none is left."""
    while True:
        with next_start.get_lock():
            start = next_start.value
            next_start.value = start + chunk_size
        if start >= len(_FORKED_TEXTS):
            return
        deliver((start, [classify(text, mode) for text in _FORKED_TEXTS[start:start + chunk_size]]))


def _classify_in_child(parent_pid: int, sender, next_start, chunk_size: int, mode: str) -> None:
    """A forked child's work: label chunks and send each one back, then None to say it is done."""
    start_worker(parent_pid)
    gc.freeze()  # the collector leaves the inherited objects alone (no copy-on-write of their pages)
    with sender:
        _classify_chunks(next_start, chunk_size, mode, sender.send)
        sender.send(None)


class _Child:
    """A forked labelling child and the pipe its chunks come through."""

    def __init__(self, process, receiver):
        self.process, self.receiver, self.done = process, receiver, False

    def ready_chunks(self) -> list[_Chunk]:
        """The chunks already sent, without waiting."""
        chunks = []
        while not self.done and self.receiver.poll():
            chunks.extend(self._receive())
        return chunks

    def remaining_chunks(self) -> list[_Chunk]:
        """Every chunk still to come (waits for the child to finish)."""
        chunks = []
        while not self.done:
            chunks.extend(self._receive())
        return chunks

    def _receive(self) -> list[_Chunk]:
        try:
            chunk = self.receiver.recv()
        except EOFError:
            self.process.join()
            raise worker_died("a classifier worker process", self.process.pid, self.process.exitcode,
                              "-j 1 labels in this process") from None
        self.done = chunk is None
        return [] if chunk is None else [chunk]


def classify_batches(
    batches: Iterable[Sequence[T]], mode: str = "ast", n_jobs: int = 1, text: Callable[[T], str] = str,
) -> Iterator[tuple[Sequence[T], list[CodeLabel]]]:
    """Label a stream of batches, yielding ``(batch, labels)`` in input order.

    For pipelines that read, label and write at once (``codereason tag``):
    with ``n_jobs > 1`` a pool of ``n_jobs`` worker processes labels batches
    while this process reads the next ones and handles finished ones. At
    most ``2 * n_jobs + 1`` batches are in flight, so memory stays bounded
    however long the stream.

    Args:
        batches: lists of items, e.g. rollout rows.
        mode: as for :func:`classify`.
        n_jobs: worker processes (1 = label in this process; -1 = one per core).
        text: how to get the response out of an item (default: the item is the text).
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)
    n_jobs = resolve_jobs(n_jobs)
    if n_jobs == 1 or not may_have_workers():
        for batch in batches:
            yield batch, [classify(text(item), mode) for item in batch]
        return
    load_classifier(mode)  # before the workers fork
    in_flight: deque = deque()
    # Leaving the block early (an error, Ctrl-C, the caller stops) stops the workers at once.
    with WorkerPool(n_jobs, "a classifier worker process", "-j 1 labels in this process") as pool:
        for batch in batches:
            in_flight.append((batch, pool.submit(_classify_list, [text(item) for item in batch], mode)))
            if len(in_flight) > 2 * n_jobs:
                batch, labels = in_flight.popleft()
                yield batch, pool.result(labels)
        while in_flight:
            batch, labels = in_flight.popleft()
            yield batch, pool.result(labels)


def _classify_list(texts: list[str], mode: str) -> list[CodeLabel]:
    """Worker side of :func:`classify_batches`."""
    return [classify(text, mode) for text in texts]
