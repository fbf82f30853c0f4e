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
    output: Path = typer.Option(..., "-o", "--output", help="Folder for report.md and comparison.png."),
) -> None:
    """Write a markdown table and a bar figure comparing runs side by side."""
    from codereason.report import compare_runs, markdown_table, plot_comparison
    from codereason.track import read_table

    tables = {}
    for item in runs:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"run {item!r}: write NAME=TABLE.csv, e.g. plain=out/plain.csv")
        tables[name] = read_table(path)
    comparison = compare_runs(tables)
    output.mkdir(parents=True, exist_ok=True)
    table = markdown_table(comparison)
    (output / "report.md").write_text("# codereason report\n\n" + table + "\n![comparison](comparison.png)\n")
    plot_comparison(comparison, output / "comparison.png")
    typer.echo(table)
    typer.echo(f"wrote {output / 'report.md'} and {output / 'comparison.png'}")
