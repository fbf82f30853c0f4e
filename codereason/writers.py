"""Writers for tagged and graded rows: JSONL line by line, Parquet in row groups.

Every output is written to a temporary file beside it (``.NAME.tmp-PID-XXXX.SUFFIX``)
and renamed over ``NAME`` when the writer closes, so:

- a run that fails before its first record leaves an existing output as it was
  (byte for byte), and a run that never gets to close (SIGKILL) leaves the
  previous output, or none, never a torn one; a leftover temporary file of a
  dead process is removed by the next writer of the same output;
- after an error, Ctrl-C or a full disk the output holds exactly ``count``
  complete rows (the rows before the failure), or is left as it was when
  ``count`` is 0; a Parquet output is complete and readable, or not replaced;
- the temporary file is ``fsync``-ed before the rename and the folder after it,
  so after a power loss the output is the old file or the new one.

A :class:`RowWriter` takes rows one at a time (:meth:`RowWriter.write`) or whole
part files that worker processes wrote in the same format
(:meth:`RowWriter.append_part`, what ``codereason tag -j N`` uses). The count
moves in one step with the bytes it stands for.

:func:`check_output_path` runs the checks a command makes on an output before
any heavy work, and :func:`replaced_on_success` writes a whole file (a table, a
figure) the same safe way.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from codereason.errors import ConfigError, OutputError
from codereason.records import arrow_type
from codereason.workers import cleanup_shield, interrupts_deferred

OUTPUT_SUFFIXES = (".jsonl", ".parquet")
# Bytes of whole JSONL lines held before one write to the file.
BUFFER_BYTES = 1 << 20


# ------------------------------------------------------------ output checks

def refuse_output_among_inputs(output: str | os.PathLike | None, inputs, option: str = "output") -> None:
    """Raise :class:`ConfigError` when ``output`` is one of ``inputs``: writing it would replace it unread."""
    if output is None or not Path(output).exists():
        return
    for path in inputs:
        if Path(path).exists() and os.path.samefile(output, path):
            raise ConfigError(f"{option} {output} is also an input ({path}): writing it would replace it before "
                              "it is read; write to another file")


def check_output_path(
    output: str | os.PathLike | None,
    suffixes: Iterable[str] | None = None,
    inputs: Iterable[str | os.PathLike] = (),
    option: str = "-o",
) -> None:
    """Everything that can be checked about an output file before the work that fills it.

    Args:
        output: the file to be written (None: nothing to check).
        suffixes: allowed suffixes (None: any).
        inputs: files the run reads; the output must not be one of them.
        option: the option's name, for messages.

    Raises:
        ConfigError: a wrong suffix, an output that is a folder or one of the inputs.
        OutputError: its folder cannot be created or written to.
    """
    if output is None:
        return
    path = Path(output)
    suffixes = tuple(suffixes) if suffixes is not None else None
    if suffixes is not None and path.suffix not in suffixes:
        raise ConfigError(f"{option} {path}: suffix must be {' or '.join(suffixes)}, got {path.suffix!r}")
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a folder; name a file in it, e.g. {path / ('out' + (suffixes or ('',))[0])}")
    refuse_output_among_inputs(path, inputs, option)
    _probe_folder(path, option)


def _probe_folder(path: Path, option: str) -> None:
    """Create and remove a file in the output's folder (or its nearest existing parent)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot write in {folder} ({exc.strerror}); choose another folder") from None


# ------------------------------------------------------- temporary + rename

def _temp_prefix(path: Path) -> str:
    return f".{path.name}.tmp-{os.getpid()}-"


def _remove_stale_temps(path: Path) -> None:
    """Remove temporary files of ``path`` left by writers that were killed (their process is gone)."""
    pattern = re.compile(re.escape(f".{path.name}.tmp-") + r"(\d+)-")
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.tmp-*"))
    except OSError:
        return
    for candidate in candidates:
        match = pattern.match(candidate.name)
        if match and not _alive(int(match.group(1))):
            try:
                candidate.unlink()
            except OSError:
                pass


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _through_links(path: Path) -> Path:
    """The file a symbolic link points to (it is replaced, not the link), else ``path``."""
    return path.resolve() if path.is_symlink() else path


def _open_temp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path`` (same suffix), as (fd, path); OutputError when impossible."""
    if path.is_dir():
        raise ConfigError(f"output {path} is a folder; name a file in it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(path)
        fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror}); choose another folder") from None
    os.fchmod(fd, _mode_for(path))  # mkstemp makes 0600; the output gets the mode a plain open would give
    return fd, Path(name)


def _mode_for(path: Path) -> int:
    """The permission bits of the existing ``path``, else those a new file gets (0666 less the umask)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _replace(temp: Path, path: Path) -> None:
    """Put the complete ``temp`` in place of ``path``: its data reach the disk first (``fsync``), then the
    rename does, so after a power loss ``path`` is the old file or the new one, never a new name on
    missing data."""
    try:
        _sync(temp)
        os.replace(temp, path)
        _sync(path.parent, folder=True)
    except OSError as exc:
        _unlink_quietly(temp)
        raise OutputError(f"cannot write {path} ({exc.strerror}); it is left as it was") from None


def _sync(path: Path, folder: bool = False) -> None:
    """``fsync`` a file (an OSError is raised), or a folder's entries (where the file system cannot, it is left
    to it: the rename has been made either way)."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if folder else 0))
    except OSError:
        if folder:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not folder:
            raise
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


@contextmanager
def replaced_on_success(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix) to write; it replaces ``path`` if the block succeeds.

    On any error the temporary file is removed and ``path`` is left as it was;
    an ``OSError`` (full disk, read-only folder) becomes :class:`OutputError`.
    """
    path = _through_links(Path(path))
    fd, temp = _open_temp(path)
    os.close(fd)
    try:
        yield temp
    except OSError as exc:
        _unlink_quietly(temp)
        raise OutputError(f"cannot write {path} ({exc.strerror or exc}); it is left as it was") from None
    except BaseException:
        _unlink_quietly(temp)
        raise
    _replace(temp, path)


# ------------------------------------------------------------------ writers

class _LineFile:
    """The open JSONL temporary file: whole lines, buffered, and where its last complete line ends.

    Invariant: the lines written so far are the file's first ``size`` bytes followed
    by ``buffer``; ``line_end`` is the end of the file's last complete line.
    """

    def __init__(self, fd: int):
        self.fd, self.buffer, self.size, self.line_end = fd, bytearray(), 0, 0

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= BUFFER_BYTES:
            self.drain()

    def drain(self) -> None:
        """Write the buffer to the file (an OSError, e.g. a full disk, leaves the invariant true)."""
        with interrupts_deferred():
            written, view = 0, memoryview(self.buffer)
            try:
                while written < len(view):
                    written += os.write(self.fd, view[written:])
            finally:
                view.release()
                last = self.buffer.rfind(b"\n", 0, written)
                if last >= 0:
                    self.line_end = self.size + last + 1
                self.size += written
                del self.buffer[:written]

    def append_file(self, part: str | os.PathLike) -> int:
        """Append a file of whole lines; on failure the file is cut back to where it was. Returns its size."""
        self.drain()
        with open(part, "rb") as source:
            try:
                copied = _copy_file(source.fileno(), self.fd)
            except BaseException:
                os.ftruncate(self.fd, self.size)
                os.lseek(self.fd, self.size, os.SEEK_SET)
                raise
        self.size += copied
        self.line_end = self.size
        return copied

    def cut_to(self, rows: int, size: int) -> tuple[int, int]:
        """Keep the first ``rows`` lines (``size`` bytes) or, when the disk stopped a write short of
        them, every complete line that reached the file; return what was kept as (rows, bytes)."""
        try:
            self.drain()
        except OSError:
            pass
        if self.size < size:
            rows -= self.buffer[:size - self.size].count(b"\n")
            size = self.line_end
        os.ftruncate(self.fd, size)
        return rows, size


class RowWriter:
    """Write dict rows to ``.jsonl`` (line by line) or ``.parquet`` (in batches), safely (see the module).

    Use as a context manager; nested values (provenance) are JSON strings in Parquet.
    After the block, :meth:`describe` says what the output holds.

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
        self._handle: _LineFile | None = None
        self._parquet = None
        self._temp: Path | None = None
        self._target = self.path  # the file replaced: ``path``, or what it links to
        self._write_error: OSError | None = None
        self.replaced: bool | None = None  # after the block: whether ``path`` now holds this run's rows
        self.error: OutputError | None = None  # the error this writer raised, if any

    @property
    def count(self) -> int:
        """Rows written: in the file, or buffered for its next Parquet row group (flushed on exit)."""
        return self._committed[0]

    def describe(self) -> str:
        """What the output holds now, for messages after a failure."""
        if self.replaced:
            return f"{self.path} holds the first {self.count} records, each complete"
        if self.path.exists():
            return f"{self.path} is left as it was"
        return f"{self.path} was not written"

    def __enter__(self) -> "RowWriter":
        self._target = _through_links(self.path)
        fd, self._temp = _open_temp(self._target)
        if self.path.suffix == ".jsonl":
            self._handle = _LineFile(fd)
        else:
            os.close(fd)
        return self

    def write(self, row: dict[str, Any]) -> None:
        """Write one row; after an interrupt the file holds exactly ``count`` rows (see ``__exit__``)."""
        rows, size = self._committed
        if self._handle is not None:
            line = (json.dumps(row) + "\n").encode()  # ASCII: non-ASCII as \\u escapes (1.5x faster to encode)
            try:
                self._handle.write(line)
            except OSError as exc:
                self._write_error = exc
                raise
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
            try:
                if self._handle is not None:
                    size += self._handle.append_file(part)
                else:
                    self._append_parquet_part(Path(part))
                    self._flushed += n_rows
            except OSError as exc:
                self._write_error = exc
                raise
            self._committed = (rows + n_rows, size)

    def _append_parquet_part(self, part: Path) -> None:
        import pyarrow.parquet as pq

        self._flush_parquet()
        table = pq.read_table(part)
        if table.num_rows == 0:
            return
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._temp, table.schema)
        self._parquet.write_table(_conform(table, self._parquet.schema, part))

    def _flush_parquet(self) -> None:
        rows, self._rows = self._rows, []
        if not rows:
            return
        rows = [{k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in rows]
        first = self._flushed + 1
        try:
            try:
                self._write_parquet_rows(rows, first)
            except UnicodeEncodeError:  # a lone surrogate somewhere: write the rows before it, then say where
                index, name, character = _first_unencodable(rows)
                self._write_parquet_rows(rows[:index], first)
                raise ConfigError(f"{self.path}: record {first + index}, field {name!r} holds a lone surrogate "
                                  f"({character}), which Parquet (UTF-8) cannot store; write .jsonl instead (JSON "
                                  "escapes it) or fix the input") from None
        except ConfigError:
            self._committed = (self._flushed, 0)  # the rest of this batch is not written
            raise
        except OSError as exc:
            self._write_error = exc
            raise

    def _write_parquet_rows(self, rows: list[dict], first: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not rows:
            return
        where = f"rows {first}-{first + len(rows) - 1}"
        try:
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._temp, _arrow_schema(rows))
            _refuse_new_columns(set().union(*rows), self._parquet.schema, where)
            table = pa.Table.from_pylist(rows, schema=self._parquet.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            message = " ".join(str(exc).split())
            raise ConfigError(f"{self.path}: {where} do not fit the Parquet columns set by the first rows "
                              f"({message}); write .jsonl instead") from None
        self._parquet.write_table(table)
        self._flushed += len(rows)

    def __exit__(self, exc_type, exc, traceback) -> None:
        """Close the file and put it in place. After an error or Ctrl-C it holds exactly ``count`` rows,
        each complete (a row written in the instant before ``count`` went up is cut off again); with
        none, the previous output is left as it was. A write that failed (full disk) becomes
        :class:`~codereason.errors.OutputError`. Ctrl-C cannot cut this short: it is held back
        meanwhile, then dropped after a failure (a first one is already ending the run) or acted on."""
        failed = exc_type is not None
        with cleanup_shield(failed):
            if self._handle is not None:
                broken = self._close_jsonl(failed)
            else:
                broken = self._close_parquet(failed)
            if broken is None and self.count == 0 and failed:
                _unlink_quietly(self._temp)
                self.replaced = False
            elif broken is None:
                _replace(self._temp, self._target)
                self.replaced = True
        if broken is not None:
            self.error = OutputError(f"cannot write {self.path} ({broken.strerror or broken}); {self.describe()}")
            raise self.error from None

    def _close_jsonl(self, failed: bool) -> OSError | None:
        handle, broken = self._handle, None
        try:
            if failed or self._write_error is not None:
                self._committed = handle.cut_to(*self._committed)
            else:
                handle.drain()
        except OSError as exc:  # the last flush of a successful run: keep what reached the file
            broken = exc
            self._committed = handle.cut_to(*self._committed)
        finally:
            os.close(handle.fd)
        if broken is None and self._write_error is not None:
            broken = self._write_error
        if broken is not None:
            self._settle_after_failure()
        return broken

    def _settle_after_failure(self) -> None:
        """After a failed write: put the complete rows in place, or leave the previous output."""
        if self.count:
            _replace(self._temp, self._target)
            self.replaced = True
        else:
            _unlink_quietly(self._temp)
            self.replaced = False

    def _close_parquet(self, failed: bool) -> OSError | None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if failed:
            del self._rows[self.count - self._flushed:]
        broken = self._write_error
        if broken is None:
            try:
                self._flush_parquet()
            except OSError as exc:
                broken = exc
            except ConfigError:
                if not failed:
                    self._close_parquet_file()
                    self._settle_after_failure()
                    raise
        if broken is None:
            try:
                self._close_parquet_file()
                if self._parquet is None and not failed:
                    pq.write_table(pa.table({}), self._temp)  # no rows: an empty, readable file
            except OSError as exc:
                broken = exc
        if broken is not None:  # the file cannot be finished: it is not put in place
            self._parquet = None
            _unlink_quietly(self._temp)
            self._committed, self.replaced = (0, 0), False
        return broken

    def _close_parquet_file(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


class NullWriter:
    """Stands in for :class:`RowWriter` when no output file is asked for: it only counts."""

    path = None
    count = 0
    replaced = None
    error = None

    def __enter__(self) -> "NullWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def describe(self) -> str:
        return "no output file"

    def write(self, row: dict[str, Any]) -> None:
        self.count += 1

    def append_part(self, part: str | os.PathLike, n_rows: int) -> None:
        self.count += n_rows


def _first_unencodable(rows: list[dict]) -> tuple[int, str, str]:
    """(index, field, character) of the first string value UTF-8 cannot encode (a lone surrogate)."""
    for index, row in enumerate(rows):
        for name, value in row.items():
            bad = _surrogate_in(value)
            if bad is not None:
                return index, name, bad
    raise AssertionError("pyarrow refused to encode a string that holds no lone surrogate")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate_in(value: Any) -> str | None:
    if isinstance(value, str):
        match = _SURROGATE.search(value)
        return f"U+{ord(match.group()):04X}" if match else None
    if isinstance(value, (list, tuple)):
        for item in value:
            found = _surrogate_in(item)
            if found is not None:
                return found
    return None


def _copy_file(source: int, target: int) -> int:
    """Append all of file ``source`` to file ``target`` (descriptors); in the kernel where it can
    (``sendfile``). Returns the bytes copied."""
    size, offset = os.fstat(source).st_size, 0
    try:
        while offset < size:
            sent = os.sendfile(target, source, offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except OSError as exc:
        if offset or exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
        with open(source, "rb", closefd=False) as reader:
            while chunk := reader.read(1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(target, view):]
                offset += len(chunk)
    except AttributeError:  # no sendfile on this platform
        with open(source, "rb", closefd=False) as reader:
            shutil.copyfileobj(reader, open(target, "wb", closefd=False), 1 << 20)
        offset = size
    return offset


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
