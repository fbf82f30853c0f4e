"""Small helpers the command modules share: progress bars, tables, Ctrl-C."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterable, Iterator, Optional, Sequence

import typer


@contextmanager
def interrupt_reported(writer, output: Path | None) -> Iterator[None]:
    """Turn Ctrl-C into one line saying how many complete records ``output`` holds, and exit code 130."""
    try:
        yield
    except KeyboardInterrupt:
        where = f"; {output} holds the first {writer.count}, each complete" if output else ""
        typer.echo(f"interrupted after {writer.count} records{where}", err=True)
        raise typer.Exit(130) from None


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
