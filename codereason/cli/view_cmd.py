"""``codereason view``: a thin wrapper over :func:`codereason.view.write_view`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from codereason.cli._app import app
from codereason.cli._common import progress
from codereason.cli.grade_cmd import _BOXED, _JOBS, _NO_CACHE, _STORED, _TIMEOUT, _parse_steps
from codereason.view import DEFAULT_MAX_RESPONSES


@app.command()
def view(
    inputs: List[Path] = typer.Argument(..., help="One rollout file or directory per checkpoint (tagged or not), as for track."),
    output: Path = typer.Option(..., "-o", "--output", help="The HTML page to write, e.g. view.html."),
    mode: str = typer.Option("ast", "--mode", help="Classifier behind 'code': ast, paper or learned."),
    benchmark: Optional[List[str]] = typer.Option(None, "--benchmark", help="Keep only this benchmark (repeatable)."),
    steps: Optional[str] = typer.Option(None, "--steps", help="Comma-separated step per input, when neither record nor path has one."),
    strategy: str = typer.Option("auto", "--strategy", help="Problem strategy for transitions: greedy, majority or auto."),
    max_responses: int = typer.Option(DEFAULT_MAX_RESPONSES, "--max-responses", help="Most responses on the page; above it, a sample per (step, benchmark, label)."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title (default: from the table)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force the input format."),
    text_field: Optional[str] = typer.Option(None, "--text-field", help="Response field of a generic file."),
    require_boxed: bool = _BOXED, use_stored_score: bool = _STORED,
    jobs: int = _JOBS, timeout: float = _TIMEOUT, no_cache: bool = _NO_CACHE,
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap replicates for the table's 95% intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap and of the sample."),
) -> None:
    """Write one self-contained HTML page: the per-step table and figure, and every response with its evidence."""
    from codereason.track import TrackOptions
    from codereason.view import write_view

    options = TrackOptions(mode=mode, benchmarks=benchmark or None, steps=_parse_steps(steps),
                           require_boxed=require_boxed, use_stored_score=use_stored_score,
                           n_jobs=jobs, timeout_s=timeout, cache=not no_cache, format=format, text_field=text_field)
    with progress(desc="tag + grade", unit=" responses") as bar:
        summary = write_view([str(p) for p in inputs], output, options, max_responses=max_responses,
                             strategy=strategy, title=title, n_boot=bootstrap, seed=seed, progress=bar.update)
    shown = (f"all {summary.n_responses} responses" if summary.n_shown == summary.n_responses
             else f"{summary.n_shown} of {summary.n_responses} responses (sampled per step, benchmark and label)")
    typer.echo(f"wrote {summary.path} ({summary.size_bytes / 2**20:.1f} MiB): {shown}, {summary.n_problems} problems")
    if summary.evidence_mismatches:
        typer.echo(f"note: {summary.evidence_mismatches} responses carry an ast label from the input that the "
                   "evidence on the page does not reproduce (tagged by another classifier version?)", err=True)
    if summary.merged_checkpoints:
        typer.echo("note: several checkpoints share a step, their responses are pooled in one table row: "
                   + ", ".join(f"{b} step {s}" for b, s in summary.merged_checkpoints), err=True)
