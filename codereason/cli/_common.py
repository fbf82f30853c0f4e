"""Small helpers the command modules share: progress bars, tables, Ctrl-C."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import typer


@contextmanager
def interrupt_reported(writer, output: Path | None) -> Iterator[None]:
    """Turn Ctrl-C into one line saying how many complete records ``output`` holds, and exit code 130."""
    try:
        yield
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run is ending: a second Ctrl-C may not cut the report short
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
