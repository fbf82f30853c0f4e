"""The generator's output files: resumable, crash-safe JSONL of rollouts.

``OUT_DIR/<checkpoint>.jsonl`` grows by appends of whole lines (one ``write``
per batch, then ``flush`` and ``fsync``), so a crash leaves at most one torn
last line, which :func:`repair_tail` cuts off before the next run;
:func:`read_done` then tells that run which ``(problem_id, sample_idx)`` keys
are already there (see :mod:`codereason.generate`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def output_path(out_dir: str | os.PathLike, checkpoint: str) -> Path:
    """``OUT_DIR/<checkpoint>.jsonl`` (path separators in the name become ``_``)."""
    return Path(out_dir) / (checkpoint.replace(os.sep, "_").replace("/", "_") + ".jsonl")


def repair_tail(path: Path) -> int:
    """Cut a torn last line (no newline, or not valid JSON) off ``path``.

    Only the end of the file is read (backwards, a block at a time), so a
    multi-gigabyte file is repaired in constant memory.

    Returns:
        The number of bytes removed (0 when the file was whole or absent).
    """
    if not path.exists():
        return 0
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        keep = size if _byte_at(handle, size - 1) == b"\n" else _last_newline_before(handle, size) + 1
        last_start = _last_newline_before(handle, keep - 1) + 1 if keep else 0
        handle.seek(last_start)
        if keep and not _is_json(handle.read(keep - last_start)):
            keep = last_start
        if keep < size:
            handle.truncate(keep)
            os.fsync(handle.fileno())
    return size - keep


def _byte_at(handle, position: int) -> bytes:
    if position < 0:
        return b""
    handle.seek(position)
    return handle.read(1)


# Bytes read at a time when looking backwards for a line break.
TAIL_BLOCK = 1 << 20


def _last_newline_before(handle, end: int) -> int:
    """Offset of the last ``\\n`` before ``end`` (-1 when there is none), reading backwards."""
    while end > 0:
        start = max(0, end - TAIL_BLOCK)
        handle.seek(start)
        found = handle.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found
        end = start
    return -1


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def read_done(path: Path) -> tuple[set[tuple[str, int]], str | None]:
    """The ``(problem_id, sample_idx)`` keys already in ``path`` and their run fingerprint."""
    keys: set[tuple[str, int]] = set()
    fingerprint = None
    if not path.exists():
        return keys, fingerprint
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            keys.add((str(row["problem_id"]), int(row["sample_idx"])))
            fingerprint = fingerprint or (row.get("provenance") or {}).get("run_fingerprint")
    return keys, fingerprint


class AppendWriter:
    """Append JSON lines crash-safely: whole lines, one ``write`` per batch, then fsync."""

    def __init__(self, path: Path, flush_every: int):
        self.path, self.flush_every = path, max(1, flush_every)
        self._pending: list[str] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(path, "a", encoding="utf-8")

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row; appends when ``flush_every`` rows are queued."""
        self._pending.append(json.dumps(row, ensure_ascii=False) + "\n")
        if len(self._pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Append the queued rows now and make them durable."""
        if self._pending:
            self._handle.write("".join(self._pending))
            self._pending = []
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Flush and close."""
        self.flush()
        self._handle.close()
