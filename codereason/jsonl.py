"""JSONL files as lines of bytes: read whole or by byte range, and cut into ranges.

Lines end at ``b"\\n"`` only: a JSON text never holds a raw newline, while
``str.splitlines`` would also cut at U+2028, U+0085 and other characters that
``json.dumps(ensure_ascii=False)`` leaves raw inside strings. Ranges let worker
processes share one large file (:mod:`codereason.tagging`); line numbers stay
those of the whole file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class LineRange:
    """Whole lines of a JSONL file: bytes ``[start, end)``, the first of them line ``first_line``."""

    start: int
    end: int
    first_line: int


def iter_lines(path: str | os.PathLike, lines: LineRange | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) of the file, or of one range of it. Lines end at b"\\n" only."""
    start, end, number = (0, None, 1) if lines is None else (lines.start, lines.end, lines.first_line)
    with open(path, "rb") as handle:
        handle.seek(start)
        for line in handle:
            if end is not None and start >= end:
                return
            yield number, line
            start += len(line)
            number += 1


def split_lines(path: str | os.PathLike, target_bytes: int = 4 << 20, min_bytes: int | None = None) -> Iterator[LineRange]:
    """Cut a JSONL file into ranges of whole lines of about ``target_bytes`` each.

    One pass over the file in blocks (counting newlines), so the pieces can be
    handed out before the file has been read to the end. With ``min_bytes``,
    pieces shrink over the last ``8 * target_bytes`` of the file (each an eighth
    of what is left, never under ``min_bytes``), so that workers sharing them
    run out of work at about the same time.

    >>> import os, tempfile
    >>> with tempfile.NamedTemporaryFile("wb", suffix=".jsonl", delete=False) as handle:
    ...     _ = handle.write(b'{"a": 1}\\n{"a": 2}\\n{"a": 3}\\n')
    >>> [(r.start, r.end, r.first_line) for r in split_lines(handle.name, target_bytes=12)]
    [(0, 18, 1), (18, 27, 3)]
    >>> os.remove(handle.name)
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start, first_line = 0, 1
        while block := handle.read(_block_size(size - start, target_bytes, min_bytes)):
            if not block.endswith(b"\n"):
                block += handle.readline()
            yield LineRange(start, start + len(block), first_line)
            start += len(block)
            first_line += block.count(b"\n")


def _block_size(left: int, target_bytes: int, min_bytes: int | None) -> int:
    if min_bytes is None:
        return target_bytes
    return max(1, min_bytes, min(target_bytes, left // 8))


__all__ = ("LineRange", "iter_lines", "split_lines")
