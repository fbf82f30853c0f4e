"""Tag rollout files and summarise the result (what ``codereason tag`` runs).

Two ways through, the same output:

- :func:`tag_rows` labels a stream of rows in this process (or with a pool that
  labels batches while this process reads and writes); for pipelines that
  already hold rows.
- :func:`tag_files` with ``n_jobs > 1`` hands out *pieces* of the input files
  (a whole file, or about 4 MB of whole lines of a JSONL file) to worker
  processes, each of which reads, labels and writes its piece to a part file;
  this process appends the parts to the output in input order. Reading and
  writing JSON are about half of the work, so they are what must run in
  parallel for ``-j 2`` to approach twice one core.

Memory stays flat either way: rows stream, and at most ``2 * n_jobs + 1``
pieces are in flight.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from codereason.classifier import MODES, classify, classify_batches, load_classifier
from codereason.errors import CodeReasonError, ConfigError, SchemaError
from codereason.io import counts_samples, read_rows, resolve_format, splittable
from codereason.jsonl import LineRange, split_lines
from codereason.workers import WorkerPool, cleanup_shield, may_have_workers, part_folder, resolve_jobs, worker_context
from codereason.writers import NullWriter, RowWriter


def tag_rows(rows: Iterable[dict], mode: str = "ast", n_jobs: int = 1, batch_size: int = 512) -> Iterator[dict]:
    """Yield each row with the :class:`~codereason.records.CodeLabel` fields added, in input order.

    Args:
        rows: dicts holding a ``response`` field (as :func:`codereason.io.read_rows` yields).
        mode: ``ast``, ``paper`` or ``learned``.
        n_jobs: worker processes (1 = this process, -1 = one per core); they label
            batches while this process reads and hands on rows
            (:func:`~codereason.classify.classify_batches`).
        batch_size: rows sent to a worker at a time.
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("--mode", mode, MODES)
    if resolve_jobs(n_jobs) == 1:  # row by row: a bad record later on cannot hold back the rows before it
        for row in rows:
            yield {**row, **classify(row["response"], mode).to_dict()}
        return
    rows = iter(rows)
    batches = iter(lambda: list(islice(rows, batch_size)), [])
    for batch, labels in classify_batches(batches, mode, n_jobs, text=itemgetter("response")):
        for row, label in zip(batch, labels):
            yield {**row, **label.to_dict()}


@dataclass
class TagSummary:
    """Counts for the summary table: overall and per (checkpoint, benchmark)."""

    groups: dict[tuple, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))

    def add(self, row: dict[str, Any]) -> None:
        """Count one tagged row: n, code, paper code, agreement with paper."""
        for key in (("all", ""), (str(row.get("checkpoint")), str(row.get("benchmark")))):
            counts = self.groups[key]
            counts[0] += 1
            counts[1] += bool(row["code_reasoning"])
            counts[2] += bool(row["paper_code"])
            counts[3] += bool(row["code_reasoning"]) == bool(row["paper_code"])

    def merge(self, groups: dict[tuple, list[int]]) -> None:
        """Add the counts of another summary's ``groups`` (a worker's piece)."""
        for key, counts in groups.items():
            self.groups[key] = [a + b for a, b in zip(self.groups[key], counts)]

    def table(self) -> list[dict[str, Any]]:
        """One dict per group: n, code frequency, paper frequency, agreement."""
        rows = []
        for (checkpoint, benchmark), (n, code, paper, agree) in sorted(self.groups.items(), key=_all_first):
            rows.append({"checkpoint": checkpoint, "benchmark": benchmark, "n": n, "code_freq": code / n,
                         "paper_freq": paper / n, "agreement": agree / n})
        return rows


def _all_first(item) -> tuple:
    key = item[0]
    return (key != ("all", ""), key)


class BadRecordLog:
    """Collects bad records into a side file (``--skip-bad``) and counts them.

    The side file is written like every output (a :class:`~codereason.writers.RowWriter`:
    a temporary file renamed into place): after a successful run it holds this
    run's bad records, none included (an older side file is not left to be
    taken for this run's); after a failed or interrupted one, the complete
    entries logged so far, or, with none, whatever was there before. Use as a
    context manager, or call :meth:`close` after a successful run.
    """

    def __init__(self, path: str | Path):
        self.path, self.count = Path(path), 0
        self._writer: RowWriter | None = None

    def __call__(self, source: str, line: int, raw: Any, error: SchemaError) -> None:
        entry = {"source": source, "line": line, "error": error.message, "raw": raw if isinstance(raw, (str, dict)) else None}
        self._open().write(entry)
        self.count += 1

    def _open(self) -> RowWriter:
        if self._writer is None:
            self._writer = RowWriter(self.path).__enter__()
        return self._writer

    def __enter__(self) -> "BadRecordLog":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:
            writer, self._writer = self._writer, None
            writer.__exit__(exc_type, exc, traceback)

    def close(self) -> None:
        """Put the side file in place (an empty one when no record was bad)."""
        writer, self._writer = self._open(), None
        writer.__exit__(None, None, None)

    def describe(self) -> str:
        """What the side file holds, for the report."""
        return f"skipped {self.count} bad records" + (f" (written to {self.path})" if self.count else "")


# ------------------------------------------------------------------ tag_files

# Bytes of whole JSONL lines per piece: ~1,400 rollouts, 0.1-0.3 s of work.
PIECE_BYTES = 4 << 20

ProgressCallback = Callable[[int], Any]


def tag_files(
    files: Sequence[str | Path],
    writer: RowWriter | NullWriter,
    *,
    mode: str = "ast",
    n_jobs: int = 1,
    format: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    on_bad: Callable | None = None,
    on_progress: ProgressCallback | None = None,
    piece_bytes: int = PIECE_BYTES,
    **fields: str | None,
) -> TagSummary:
    """Tag every response of ``files`` into ``writer``, in input order; return the summary counts.

    Args:
        files: rollout files (as :func:`codereason.io.iter_input_files` lists them).
        writer: an open :class:`~codereason.writers.RowWriter`, or a
            :class:`~codereason.writers.NullWriter` to count only.
        mode: ``ast``, ``paper`` or ``learned``.
        n_jobs: processes (1 = this one; -1 = one per core). With more than one,
            worker processes read, label and write pieces of the input.
        format, text_field, id_field: as for :func:`codereason.io.read_rows`; so are ``fields``
            (``gold_field``, ``step_field``, ``benchmark_field``).
        on_bad: as for :func:`codereason.io.read_rows`; called in this process,
            in input order, whatever ``n_jobs``.
        on_progress: called with the number of rows just tagged.
        piece_bytes: about how much of a JSONL file one worker takes at a time.

    Raises:
        SchemaError, InputFormatError, ConfigError: as ``read_rows``; the output
            then holds every record before the bad one.
        WorkerError: a worker process died (killed for memory?).
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("--mode", mode, MODES)
    n_jobs, summary = resolve_jobs(n_jobs), TagSummary()
    options = {"format": format, "text_field": text_field, "id_field": id_field, **fields}
    if n_jobs == 1 or not may_have_workers():
        rows = (row for path in files for row in read_rows(path, on_bad=on_bad, **options))
        _tag_into(writer, summary, rows, mode, (lambda row: on_progress(1)) if on_progress else None)
        return summary
    _PieceRun(writer, summary, mode, n_jobs, options, on_bad, on_progress).run(files, piece_bytes)
    return summary


@dataclass(frozen=True)
class _Piece:
    """One worker's share: a file, or whole lines of one, and the part file it writes (None: count only)."""

    path: Path
    file_number: int  # the file's place among the inputs (the same file may be given twice)
    format: str
    lines: LineRange | None
    part: Path | None
    counted: bool  # sample_idx counts a problem's earlier records: this process shifts them


@dataclass
class _PieceResult:
    count: int
    groups: dict[tuple, list[int]]
    bad: list[tuple]  # on_bad's arguments, in order
    problem_ids: list[str] | None  # of each row written, for counted pieces
    error: CodeReasonError | None  # what stopped the piece (the part holds the rows before it)


class _PieceRun:
    """This process's side of a parallel ``tag_files``: hand out pieces, append their parts in order."""

    def __init__(self, writer, summary: TagSummary, mode: str, n_jobs: int, options: dict, on_bad, on_progress):
        self.writer, self.summary, self.mode, self.n_jobs = writer, summary, mode, n_jobs
        self.options, self.on_bad, self.on_progress = options, on_bad, on_progress
        self.samples_before: Counter = Counter()  # problem id -> its rows in earlier pieces of the same file
        self.counted_file: int | None = None
        self.rows_done = None  # a shared counter the workers add to, for the progress bar
        self.reported = 0

    def run(self, files: Sequence[str | Path], piece_bytes: int) -> None:
        path = self.writer.path
        workdir = part_folder(path) if path else None  # also removes those that killed runs left
        self.rows_done = worker_context().Value("q", 0)
        load_classifier(self.mode)  # before the workers fork
        try:
            # Leaving the block on an error or Ctrl-C stops the workers at once (a second Ctrl-C cannot cut that short).
            with WorkerPool(self.n_jobs, "a tagging worker process", "-j 1 tags in this process",
                            initializer=_start_piece_worker, initargs=(self.rows_done,)) as pool:
                self._feed(pool, self._pieces(files, workdir, piece_bytes, path.suffix if path else ""))
        finally:  # a second Ctrl-C cannot stop the folder's removal half-way
            with cleanup_shield(failed=sys.exc_info()[0] is not None):
                if workdir is not None:
                    shutil.rmtree(workdir, ignore_errors=True)

    def _pieces(self, files, workdir: Path | None, piece_bytes: int, suffix: str) -> Iterator[_Piece]:
        number = 0
        for file_number, path in enumerate(map(Path, files)):
            format = resolve_format(path, self.options["format"], self.options["text_field"])
            counted = counts_samples(format, self.options["id_field"])
            ranges = split_lines(path, piece_bytes, piece_bytes // 16) if splittable(path, format) else [None]
            for lines in ranges:
                number += 1
                part = workdir / f"{number:08d}{suffix}" if workdir else None
                yield _Piece(path, file_number, format, lines, part, counted)

    def _feed(self, pool: WorkerPool, pieces: Iterator[_Piece]) -> None:
        in_flight: deque = deque()
        collect_bad = self.on_bad is not None
        while True:
            try:
                piece = next(pieces, None)
            except CodeReasonError:  # a file that cannot be read: first finish what came before it
                while in_flight:
                    self._finish(pool, *in_flight.popleft())
                raise
            if piece is None:
                break
            in_flight.append((piece, pool.submit(_tag_piece, piece, self.mode, self.options, collect_bad)))
            while len(in_flight) > 2 * self.n_jobs:
                self._finish(pool, *in_flight.popleft())
        while in_flight:
            self._finish(pool, *in_flight.popleft())

    def _finish(self, pool: WorkerPool, piece: _Piece, future) -> None:
        """Wait for a piece (moving the progress bar meanwhile), then take in its bad records, part and counts."""
        result = self._wait(pool, future)
        for entry in result.bad:
            self.on_bad(*entry)
        if result.count and piece.part is not None:
            if result.problem_ids is not None:
                self._shift_samples(piece, result.problem_ids)
            self.writer.append_part(piece.part, result.count)
            piece.part.unlink()
        elif result.count:
            self.writer.append_part(None, result.count)
        self.summary.merge(result.groups)
        if result.error is not None:
            raise result.error

    def _wait(self, pool: WorkerPool, future) -> _PieceResult:
        while True:
            try:
                result = pool.result(future, timeout=0.25)
                break
            except TimeoutError:
                self._report_progress()
        self._report_progress()
        return result

    def _report_progress(self) -> None:
        done = self.rows_done.value
        if self.on_progress and done > self.reported:
            self.on_progress(done - self.reported)
        self.reported = done

    def _shift_samples(self, piece: _Piece, problem_ids: list[str]) -> None:
        """Renumber ``sample_idx`` of problems that earlier pieces of the same file already had."""
        if piece.file_number != self.counted_file:
            self.samples_before.clear()  # a new file: its counts start over
            self.counted_file = piece.file_number
        offsets = {pid: self.samples_before[pid] for pid in set(problem_ids) if pid in self.samples_before}
        self.samples_before.update(problem_ids)
        if offsets:
            _rewrite_sample_idx(piece.part, problem_ids, offsets)


def _rewrite_sample_idx(part: Path, problem_ids: list[str], offsets: dict[str, int]) -> None:
    """Add ``offsets[problem_id]`` to the ``sample_idx`` of those rows of a part file."""
    if part.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(part)
        shifted = [s + offsets.get(pid, 0) for s, pid in zip(table["sample_idx"].to_pylist(), problem_ids)]
        column = table.schema.get_field_index("sample_idx")
        pq.write_table(table.set_column(column, "sample_idx", pa.array(shifted, pa.int64())), part)
        return
    lines = part.read_bytes().split(b"\n")[:-1]
    for i, (line, pid) in enumerate(zip(lines, problem_ids)):
        if pid in offsets:
            row = json.loads(line)
            row["sample_idx"] += offsets[pid]
            lines[i] = json.dumps(row).encode()
    part.write_bytes(b"\n".join(lines) + b"\n")


# Rows tagged by all workers, for the progress bar (set in each worker by _start_piece_worker).
_ROWS_DONE = None


def _start_piece_worker(rows_done) -> None:
    global _ROWS_DONE
    _ROWS_DONE = rows_done


def _tag_piece(piece: _Piece, mode: str, options: dict, collect_bad: bool) -> _PieceResult:
    """Worker side: read, label and write one piece; errors come back as part of the result."""
    bad: list[tuple] = []
    summary, problem_ids = TagSummary(), ([] if piece.counted else None)
    on_bad = (lambda *entry: bad.append(entry)) if collect_bad else None
    error = None
    with (RowWriter(piece.part) if piece.part else NullWriter()) as writer:

        def after_row(row: dict) -> None:
            if problem_ids is not None:
                problem_ids.append(row["problem_id"])
            if writer.count % 64 == 0:
                _count_done(64)

        try:
            rows = read_rows(piece.path, **{**options, "format": piece.format}, on_bad=on_bad, lines=piece.lines)
            _tag_into(writer, summary, rows, mode, after_row)
        except CodeReasonError as exc:
            error = exc
    _count_done(writer.count % 64)
    return _PieceResult(writer.count, dict(summary.groups), bad, problem_ids, error)


def _tag_into(writer, summary: TagSummary, rows: Iterable[dict], mode: str,
              after_row: Callable[[dict], Any] | None) -> None:
    """Label ``rows`` into ``writer`` and ``summary``, calling ``after_row`` on each: the loop of
    ``tag_files``, in this process (``-j 1``) or in a worker for one piece."""
    for row in tag_rows(rows, mode):
        summary.add(row)
        writer.write(row)
        if after_row:
            after_row(row)


def _count_done(n: int) -> None:
    if _ROWS_DONE is not None and n:
        with _ROWS_DONE.get_lock():
            _ROWS_DONE.value += n
