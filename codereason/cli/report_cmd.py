"""``codereason report``: compare runs (presets, models) from their track tables."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from codereason.cli._app import app
from codereason.errors import ConfigError


@app.command()
def report(
    runs: List[str] = typer.Argument(..., help="NAME=TABLE.csv for each run (tables written by codereason track)."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder for report.md, comparison.png and table.csv (one row per run, benchmark and step)."),
) -> None:
    """Compare runs side by side: a markdown table, table.csv and a figure (bars, or lines over training steps)."""
    from codereason.report import TABLE_COLUMNS, check_report_folder, compare_runs, write_report
    from codereason.track import read_table

    sources = {}
    for item in runs:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"run {item!r}: write NAME=TABLE.csv, e.g. plain=out/plain.csv")
        if name in sources:
            raise ConfigError(f"run name {name!r} is given twice ({name}={sources[name]}, {item}); "
                              "give each run its own name")
        sources[name] = path
    check_report_folder(output, list(sources.values()))
    tables = {name: read_table(path, TABLE_COLUMNS) for name, path in sources.items()}
    comparison = compare_runs(tables)
    table, paths = write_report(comparison, output)
    typer.echo(table)
    typer.echo(f"wrote {', '.join(str(p) for p in paths)}")
