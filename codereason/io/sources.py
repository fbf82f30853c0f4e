"""Where records come from: JSONL lines, CSV rows, Parquet rows, and the per-record loop.

Each source yields ``(number, record, raw)``: the 1-based line (JSONL/CSV; for CSV
the line where the record ends) or record number (Parquet), the record as a dict,
and what the bad-record file shows of it. A fault that ends a file (a truncated
Parquet file, an unterminated CSV quote at the end) is a bad record too: its
message says that the rest of the file could not be read.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from codereason.errors import InputFormatError, SchemaError
from codereason.io.fields import BadRecord
from codereason.jsonl import LineRange, iter_lines
from codereason.records import FIELD_TYPES, SCHEMA_VERSION, check_row, normalise_row

# A bad-record handler gets (path, line, raw text or None, error) and decides.
BadRecordHandler = Callable[[str, int, Any, SchemaError], None]
Source = Iterator[tuple[int, dict, Any]]


class Context:
    """What a format reader needs: the file, the bad-record policy, field options.

    Attributes:
        path: the file.
        on_bad: the bad-record handler, or None to raise :class:`SchemaError`.
        lines: the line range to read (JSONL only), or None for all.
        fields: field options by name (``text_field``, ``id_field``, ``gold_field``...; None when not given).
        layout: what the file's folders say (step, checkpoint, benchmark, model).
    """

    def __init__(self, path: Path, on_bad: BadRecordHandler | None, fields: dict[str, str | None],
                 lines: LineRange | None, layout: dict[str, Any]):
        self.path, self.on_bad, self.lines = path, on_bad, lines
        self.fields, self.layout = fields, layout

    def bad(self, line: int | None, raw: Any, message: str) -> None:
        """Report a bad record: raise, or hand it to ``on_bad``."""
        error = SchemaError(self.path, line, message)
        if self.on_bad is None:
            raise error
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="replace").rstrip("\n")
        self.on_bad(str(self.path), line, raw, error)

    def base_row(self, line: int, **fields) -> dict[str, Any]:
        """A row with defaults (from the folder layout), the given fields and provenance of the source line."""
        row = {
            "gold": None, "checkpoint": self.layout.get("checkpoint"), "step": self.layout.get("step"),
            "benchmark": self.layout.get("benchmark"), "model": self.layout.get("model"),
            "stored_score": None, "schema_version": SCHEMA_VERSION,
        }
        row.update(fields)
        row["provenance"] = {"source": str(self.path), "line": line}
        return row


def each_record(context: Context, source: Source, build: Callable[[Context, int, dict], Iterable[dict]],
                where: Callable[[int], tuple[int | None, str]] = lambda number: (number, "")) -> Iterator[dict]:
    """Rows of every record: ``build`` turns one record into its rows, or raises :class:`BadRecord`.

    A record is all or nothing: every row it gives is checked against the record
    schema (:func:`codereason.records.check_row`) before the first is yielded.
    ``where`` gives the line an error names and a prefix for its message.
    """
    for number, record, raw in source:
        try:
            rows = [finish_row(row) for row in build(context, number, record)]
        except BadRecord as exc:
            line, prefix = where(number)
            context.bad(line, raw, prefix + str(exc))
            continue
        yield from rows


def finish_row(row: dict) -> dict:
    """``row`` checked against the record schema (raises :class:`BadRecord`), whole floats made ints."""
    problem = check_row(row)
    if problem:
        raise BadRecord(problem)
    return normalise_row(row)


# ------------------------------------------------------------------------ JSONL

def iter_jsonl(context: Context) -> Source:
    """Each non-blank line as a JSON object; a line that is not one goes to ``bad``."""
    for number, line in iter_lines(context.path, context.lines):
        if not line.strip():
            continue
        try:
            record = parse_json(line)
        except BadRecord as exc:
            context.bad(number, line, str(exc))
            continue
        if not isinstance(record, dict):
            context.bad(number, line, f"expected a JSON object, got {_json_type(record)}")
            continue
        yield number, record, line


def parse_json(text: bytes | str) -> Any:
    """One JSON value; :class:`BadRecord` saying why it is not one (never a traceback)."""
    try:
        return json.loads(text)  # bytes: UTF-8 (a BOM is fine), decoded by json itself
    except json.JSONDecodeError as exc:
        raise BadRecord(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except UnicodeDecodeError as exc:
        raise BadRecord(f"not valid UTF-8 (byte {exc.start} of the line)") from None
    except RecursionError:
        raise BadRecord("JSON nested too deep to read (over ~900 levels)") from None


def _json_type(value: Any) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


# -------------------------------------------------------------------------- CSV

_UNDECODABLE = re.compile("[\udc80-\udcff]")


def iter_csv(context: Context) -> Source:
    """Each CSV row as a dict of strings; rows with the wrong number of cells or bad UTF-8 go to ``bad``.

    Cells of record fields are read as their type (:func:`cell_value`): ``sample_idx``
    ``3`` is the number 3, an empty ``gold`` is null.
    """
    csv.field_size_limit(sys.maxsize)
    with open(context.path, "rb") as handle:
        lines = (line.decode("utf-8", errors="surrogateescape") for line in handle)
        reader = csv.reader(lines, strict=True)
        header = _csv_header(context, reader)
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                context.bad(start, None, f"CSV record starting here cannot be read ({exc}; an unterminated "
                                         "quote?); the rest of the file is not read")
                return
            if not cells:
                continue
            record = _csv_record(context, header, cells, start, reader.line_num)
            if record is not None:
                yield reader.line_num, record, ",".join(cells)


def _csv_header(context: Context, reader) -> list[str]:
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise InputFormatError(f"{context.path}:1: the CSV header cannot be read ({exc})") from None
    if any(_UNDECODABLE.search(name) for name in header):
        raise InputFormatError(f"{context.path}:1: the CSV header is not valid UTF-8")
    if len(set(header)) != len(header):
        raise InputFormatError(f"{context.path}:1: the CSV header names a column twice")
    return header


def _csv_record(context: Context, header: list[str], cells: list[str], start: int, end: int) -> dict | None:
    shown = ",".join(cells).encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    where = f"lines {start}-{end}" if end > start else f"line {end}"
    if len(cells) != len(header):
        context.bad(end, shown, f"CSV record ({where}) has {len(cells)} cells for {len(header)} columns; "
                                "a quote opened in one record and closed in another?")
        return None
    if any(_UNDECODABLE.search(cell) for cell in cells):
        context.bad(end, shown, f"CSV record ({where}) is not valid UTF-8")
        return None
    try:
        return {name: cell_value(name, cell) for name, cell in zip(header, cells)}
    except BadRecord as exc:
        context.bad(end, shown, str(exc))
        return None


_TRUE, _FALSE = {"true", "True", "TRUE", "1"}, {"false", "False", "FALSE", "0"}


def cell_value(name: str, cell: str) -> Any:
    """A CSV cell as the type of record field ``name`` (other columns stay strings).

    >>> cell_value("sample_idx", "3"), cell_value("gold", ""), cell_value("correct", "False")
    (3, None, False)
    """
    spec = FIELD_TYPES.get(name)
    if spec is None or spec.kind == "str":
        return None if cell == "" and spec is not None and spec.nullable else cell
    if cell == "":
        return None
    try:
        if spec.kind == "int" and re.fullmatch(r"-?\d+", cell.strip()):
            return int(cell)
        if spec.kind == "float" and math.isfinite(float(cell)):
            return float(cell)
        if spec.kind == "bool" and (cell in _TRUE or cell in _FALSE):
            return cell in _TRUE
        if spec.kind in ("spans", "mapping"):
            return parse_json(cell)
    except ValueError:
        pass
    raise BadRecord(f"field {name!r} must be {_CELL_KINDS[spec.kind]}, got {cell[:40]!r}")


_CELL_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false",
               "spans": "a JSON list of pairs", "mapping": "a JSON object"}


# ---------------------------------------------------------------------- Parquet

def open_parquet(path: Path):
    """A ``pyarrow.parquet.ParquetFile``; :class:`InputFormatError` when the file is not a readable one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputFormatError(f"{path}: not a readable Parquet file ({first_line(exc)}); truncated?") from None


def iter_parquet(context: Context) -> Source:
    """Each row as a dict; a row group that cannot be read ends the file with a bad record saying so."""
    import pyarrow as pa

    parquet, number = open_parquet(context.path), 0
    batches = parquet.iter_batches(batch_size=2048)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            context.bad(number + 1, None, f"Parquet data from row {number + 1} on cannot be read "
                                          f"({first_line(exc)}); the rest of the file is not read")
            return
        for record in batch.to_pylist():
            number += 1
            yield number, record, record


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def iter_records(context: Context) -> Source:
    """Records of a JSONL, CSV or Parquet file, by suffix."""
    suffix = context.path.suffix.lower()
    if suffix == ".parquet":
        return iter_parquet(context)
    if suffix == ".csv":
        return iter_csv(context)
    return iter_jsonl(context)
