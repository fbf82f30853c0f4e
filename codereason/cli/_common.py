"""Small helpers the command modules share: checks made before any work, writing rows, tables.

Every command checks its arguments, its inputs and its outputs first (the
``check_*`` helpers and :func:`codereason.writers.check_output_path`), so a
mistake costs no work and leaves every existing output as it was.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterable, Iterator, Optional, Sequence

import typer

from codereason.errors import CodeReasonError, ConfigError, OutputError


def check_jobs(jobs: int) -> int:
    """``-j``: a positive number of processes or -1 (ConfigError otherwise)."""
    from codereason.workers import resolve_jobs

    return resolve_jobs(jobs)


def check_timeout(timeout: float) -> float:
    """``--timeout``: finite and positive seconds (the grader's own check, made before any work)."""
    from codereason.grade import check_timeout as grader_check_timeout

    return grader_check_timeout(timeout)


def check_mode(mode: str) -> str:
    """``--mode``: a classifier mode."""
    from codereason.classifier import MODES

    if mode not in MODES:
        raise ConfigError.bad_choice("--mode", mode, MODES)
    return mode


def input_files(inputs: Iterable[Path], format: str | None, text_field: str | None) -> list[Path]:
    """The rollout files of ``inputs`` (folders expanded), each one's format checked or detected now."""
    from codereason.io import FORMATS, iter_input_files, resolve_format

    if format is not None and format not in FORMATS:
        raise ConfigError.bad_choice("--format", format, FORMATS)
    files = [f for path in inputs for f in iter_input_files(path)]
    for path in files:
        resolve_format(path, format, text_field)
    return files


@contextmanager
def row_writer(output: Path | None) -> Iterator[Any]:
    """Open the row writer for ``output`` (a counter when None) and report what it holds after a failure.

    Ctrl-C becomes one line with the count of complete records and exit code 130
    (SIGTERM, which the CLI turns into a Ctrl-C, the same line and 143);
    an error becomes one line naming what the output holds and exit code 2.
    """
    from codereason.writers import NullWriter, RowWriter

    writer = RowWriter(output) if output else NullWriter()
    try:
        with writer:
            yield writer
    except KeyboardInterrupt:
        from codereason.workers import stop_signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run is ending: a second Ctrl-C may not cut the report short
        signum = stop_signal()
        how = "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"
        where = f"; {writer.describe()}" if output else ""
        typer.echo(f"{how} after {writer.count} records{where}", err=True)
        raise typer.Exit(128 + signum) from None
    except CodeReasonError as exc:
        if not output or (isinstance(exc, OutputError) and exc is writer.error):
            raise  # no output, or the writer's own error, which says what the output holds
        typer.echo(f"error: {exc}; {writer.describe()}", err=True)
        raise typer.Exit(2) from None


def progress(iterable: Iterable | None = None, **options):
    """A tqdm progress bar on stderr; without ``iterable``, a bar to ``update()`` by hand."""
    from tqdm import tqdm

    return tqdm(iterable, file=sys.stderr, dynamic_ncols=True, mininterval=0.5, **options)


def print_table(rows: Sequence[dict[str, Any]], title: str = "") -> None:
    """Print dict rows as an aligned text table; floats as 3-decimal numbers."""
    if title:
        typer.echo(title)
    if not rows:
        typer.echo("(no rows)")
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    typer.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in cells:
        typer.echo("  ".join(value.rjust(w) if _numeric(value) else value.ljust(w) for value, w in zip(row, widths)))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)


def _numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace("-", "", 1).isdigit()


# ------------------------------------------------------------------ options shared by several commands
# Defined once (typer Annotated aliases); help text and allowed values come from the registries.

def _formats_help() -> str:
    from codereason.io import READERS

    return "Force the input format (detected from the content otherwise): " + ", ".join(READERS) + \
        " (README: Input formats)."


def _modes_help() -> str:
    from codereason.classifier import MODES

    return "Classifier mode: " + ", ".join(MODES) + " (ast: tree-sitter verified segments; paper: \"python\" in " \
        "response.lower(); learned: the shipped learned classifier)."


def _presets_help() -> str:
    from codereason.prompts import PRESETS

    return "Prompt preset: " + ", ".join(PRESETS) + "."


def _path_help(what: str) -> str:
    return f"Field holding {what} in a generic file: a name or a path (resps[0][0], messages[-1].content)."


FormatOption = Annotated[Optional[str], typer.Option("--format", help=_formats_help())]
ModeOption = Annotated[str, typer.Option("--mode", help=_modes_help())]
PresetOption = Annotated[str, typer.Option("--preset", help=_presets_help())]
TextFieldOption = Annotated[Optional[str], typer.Option(
    "--text-field", help=_path_help("the response") + " A list of strings there gives one response each.")]
IdFieldOption = Annotated[Optional[str], typer.Option("--id-field", help=_path_help("the problem id"))]
GoldFieldOption = Annotated[Optional[str], typer.Option("--gold-field", help=_path_help("the gold answer"))]
StepFieldOption = Annotated[Optional[str], typer.Option("--step-field", help=_path_help("the training step"))]
BenchmarkFieldOption = Annotated[Optional[str], typer.Option("--benchmark-field",
                                                              help=_path_help("the benchmark name"))]


def field_options(text_field, id_field, gold_field, step_field, benchmark_field) -> dict:
    """The field options as ``read_rows`` keywords."""
    return {"text_field": text_field, "id_field": id_field, "gold_field": gold_field, "step_field": step_field,
            "benchmark_field": benchmark_field}


def no_gold_line(n_records: int) -> str:
    """What grade/track print when no record has a gold answer, instead of an accuracy of 0."""
    return (f"no gold answer in any of the {n_records} records: accuracy is not measured (it is not 0); "
            "name the gold field with --gold-field PATH (generic files), or grade files that carry one")
