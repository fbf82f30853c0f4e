"""Writers for tagged and graded rows: JSONL line by line, Parquet in row groups.

A :class:`RowWriter` takes rows one at a time (:meth:`RowWriter.write`) or whole
part files that worker processes wrote in the same format
(:meth:`RowWriter.append_part`, what ``codereason tag -j N`` uses). Either way,
after an error or Ctrl-C the file holds exactly ``count`` complete rows: the
count moves in one step with the bytes it stands for, and on exit the file is
cut back to it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from codereason.errors import ConfigError
from codereason.records import arrow_type
from codereason.workers import interrupts_deferred

OUTPUT_SUFFIXES = (".jsonl", ".parquet")


def refuse_output_among_inputs(output: str | os.PathLike | None, inputs) -> None:
    """Raise :class:`ConfigError` when ``output`` is one of ``inputs``: opening it would empty it unread."""
    if output is None or not Path(output).exists():
        return
    for path in inputs:
        if Path(path).exists() and os.path.samefile(output, path):
            raise ConfigError(f"output {output} is also an input ({path}): writing it would empty it before it "
                              "is read; write to another file")


class RowWriter:
    """Write dict rows to ``.jsonl`` (line by line) or ``.parquet`` (in batches).

    Use as a context manager; nested values (provenance) are JSON strings in Parquet.

    Args:
        path: output file; the suffix picks the format.
        batch_size: rows per Parquet row group.
    """

    def __init__(self, path: str | os.PathLike, batch_size: int = 4096):
        self.path = Path(path)
        if self.path.suffix not in OUTPUT_SUFFIXES:
            raise ConfigError(f"output {self.path}: suffix must be .jsonl or .parquet, got {self.path.suffix!r}")
        self.batch_size = batch_size
        # (rows, JSONL bytes) written so far, in one attribute set in one step: Ctrl-C lands before or after it
        self._committed = (0, 0)
        self._flushed = 0  # Parquet: rows already in the file (the rest wait in _rows)
        self._rows: list[dict] = []
        self._handle = None
        self._parquet = None

    @property
    def count(self) -> int:
        """Rows written: in the file, or buffered for its next Parquet row group (flushed on exit)."""
        return self._committed[0]

    def __enter__(self) -> "RowWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix == ".jsonl":
            self._handle = open(self.path, "w", encoding="utf-8", newline="\n")
        return self

    def write(self, row: dict[str, Any]) -> None:
        """Write one row; after an interrupt the file holds exactly ``count`` rows (see ``__exit__``)."""
        rows, size = self._committed
        if self._handle is not None:
            line = json.dumps(row) + "\n"  # ASCII: non-ASCII as \\u escapes (1.5x faster to encode), so len = bytes
            self._handle.write(line)
            self._committed = (rows + 1, size + len(line))
        else:
            self._rows.append(row)
            self._committed = (rows + 1, 0)
            if len(self._rows) >= self.batch_size:
                self._flush_parquet()

    def append_part(self, part: str | os.PathLike, n_rows: int) -> None:
        """Append a file of ``n_rows`` rows that another :class:`RowWriter` wrote in this format.

        Ctrl-C waits until the part is in whole, so the output never ends in half a part.
        """
        with interrupts_deferred():
            rows, size = self._committed
            if self._handle is not None:
                self._handle.flush()
                with open(part, "rb") as source:
                    _copy_file(source, self._handle.buffer)
                    size += os.fstat(source.fileno()).st_size
            else:
                self._append_parquet_part(Path(part))
                self._flushed += n_rows
            self._committed = (rows + n_rows, size)

    def _append_parquet_part(self, part: Path) -> None:
        import pyarrow.parquet as pq

        self._flush_parquet()
        table = pq.read_table(part)
        if table.num_rows == 0:
            return
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(_conform(table, self._parquet.schema, part))

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self._rows = self._rows, []
        if not rows:
            return
        rows = [{k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in rows]
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, _arrow_schema(rows))
        try:
            _refuse_new_columns(set().union(*rows), self._parquet.schema, f"rows {self._flushed + 1}-{self.count}")
        except ConfigError:
            self._committed = (self._flushed, 0)  # this batch is not written: the file holds the rows before it
            raise
        self._parquet.write_table(pa.Table.from_pylist(rows, schema=self._parquet.schema))
        self._flushed += len(rows)

    def __exit__(self, exc_type, *exc_info) -> None:
        """Close the file. After an error or Ctrl-C it holds exactly ``count`` rows, each complete:
        a row written in the instant before ``count`` went up is cut off again."""
        if self._handle is not None:
            if exc_type is not None:
                self._handle.flush()
                self._handle.buffer.truncate(self._committed[1])
            self._handle.close()
            return
        if exc_type is not None:
            del self._rows[self.count - self._flushed:]
        self._flush_parquet()
        if self._parquet is not None:
            self._parquet.close()


class NullWriter:
    """Stands in for :class:`RowWriter` when no output file is asked for: it only counts."""

    path = None
    count = 0

    def __enter__(self) -> "NullWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1

    def append_part(self, part: str | os.PathLike, n_rows: int) -> None:
        self.count += n_rows


def _copy_file(source, target) -> None:
    """Append all of ``source`` to ``target`` (binary files); in the kernel where it can (``sendfile``)."""
    target.flush()
    size, offset = os.fstat(source.fileno()).st_size, 0
    try:
        while offset < size:
            sent = os.sendfile(target.fileno(), source.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except (AttributeError, OSError):  # no sendfile between files here (macOS, some file systems)
        if offset:
            raise
        shutil.copyfileobj(source, target, 1 << 20)
        target.flush()


def _arrow_schema(rows: list[dict]):
    """Column types: those of the record schema for record fields (:func:`codereason.records.arrow_type`),
    inferred (nulls as strings) for others."""
    import pyarrow as pa

    inferred = pa.Table.from_pylist(rows).schema
    fields = []
    for item in inferred:
        kind = arrow_type(item.name) or (pa.string() if pa.types.is_null(item.type) else item.type)
        fields.append(pa.field(item.name, kind))
    return pa.schema(fields)


def _refuse_new_columns(names: set[str], schema, where: str) -> None:
    """A Parquet file has one schema, set by its first rows: refuse rows with fields it lacks, not drop them."""
    extra = sorted(names - set(schema.names))
    if extra:
        raise ConfigError(f"{where}: fields {', '.join(extra)} are not in the first rows written to this Parquet "
                          "file (its columns are fixed by them); write .jsonl instead, or write these inputs to "
                          "separate files")


def _conform(table, schema, part: Path):
    """``table`` with the columns of ``schema``, in its order and types (a missing column is all null)."""
    import pyarrow as pa

    _refuse_new_columns(set(table.column_names), schema, f"part {part.name}")
    columns = [table[f.name] if f.name in table.column_names else pa.nulls(table.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays([column.cast(f.type) for column, f in zip(columns, schema)], schema=schema)
