"""Commands ``grade``, ``track`` and ``plot``: thin wrappers over grade, track and plot."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from codereason.cli._app import app
from codereason.cli._common import interrupt_reported, progress
from codereason.cli._ray import RAY_OPTION
from codereason.errors import ConfigError

_JOBS = typer.Option(1, "-j", "--jobs", help="Grading worker processes (-1: one per core).")
_TIMEOUT = typer.Option(10.0, "--timeout", help="Seconds allowed to grade one response.")
_BOXED = typer.Option(False, "--require-boxed", help="Responses without \\boxed{} count as no_answer (wrong).")
_STORED = typer.Option(False, "--use-stored-score", help="Use the record's stored score; report agreement with math-verify.")
_NO_CACHE = typer.Option(False, "--no-cache", help="Do not read or write the grade cache ($CODEREASON_CACHE).")


@app.command()
def grade(
    inputs: List[Path] = typer.Argument(..., help="Rollout files or directories."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write graded rows (.jsonl or .parquet)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force the input format."),
    text_field: Optional[str] = typer.Option(None, "--text-field", help="Response field of a generic file."),
    require_boxed: bool = _BOXED, use_stored_score: bool = _STORED,
    jobs: int = _JOBS, timeout: float = _TIMEOUT, no_cache: bool = _NO_CACHE,
    ray: Optional[str] = RAY_OPTION,
) -> None:
    """Grade final answers with math-verify (last \\boxed{} first) and print a summary."""
    from codereason.grade import GradeCache, GradeSummary, grade_rows
    from codereason.io import iter_input_files, read_rows
    from codereason.writers import NullWriter, RowWriter, refuse_output_among_inputs

    files = [p for src in inputs for p in iter_input_files(src)]
    refuse_output_among_inputs(output, files)
    if ray:
        from codereason.cli._ray import grade_on_ray, refuse_local_options

        refuse_local_options(format=format is not None)
        return grade_on_ray(ray, files, output, text_field, jobs, require_boxed=require_boxed,
                            use_stored_score=use_stored_score, timeout_s=timeout)
    rows = (r for p in files for r in read_rows(p, format=format, text_field=text_field))
    summary, cache = GradeSummary(), (None if no_cache else GradeCache())
    graded = grade_rows(rows, summary, require_boxed=require_boxed, use_stored_score=use_stored_score,
                        n_jobs=jobs, timeout_s=timeout, cache=cache)
    with progress(desc="grading", unit=" responses") as bar, (RowWriter(output) if output else NullWriter()) as writer:
        with interrupt_reported(writer, output):
            for row in graded:
                writer.write(row)
                bar.update(1)
    typer.echo(f"graded {summary.n} responses: accuracy {summary.correct / max(summary.n, 1):.3f}; "
               + ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items())))
    if summary.n_stored:
        typer.echo(f"stored score used for {summary.n_stored}; math-verify agrees on {summary.agree / summary.n_stored:.3f}")
    if output:
        typer.echo(f"wrote {output}")


@app.command()
def track(
    inputs: List[Path] = typer.Argument(..., help="One rollout file or directory per checkpoint (or a training run)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the per-step table (.csv or .parquet)."),
    mode: str = typer.Option("ast", "--mode", help="Classifier behind 'code': ast, paper or learned."),
    benchmark: Optional[List[str]] = typer.Option(None, "--benchmark", help="Keep only this benchmark (repeatable)."),
    steps: Optional[str] = typer.Option(None, "--steps", help="Comma-separated step per input, when neither record nor path has one."),
    window: Optional[int] = typer.Option(None, "--window", help="Pool each step with the previous W-1 steps (training logs)."),
    transitions: Optional[Path] = typer.Option(None, "--transitions", help="Also write the first→last step transition table here."),
    strategy: str = typer.Option("auto", "--strategy", help="Problem strategy for transitions: greedy, majority or auto."),
    from_step: Optional[int] = typer.Option(None, "--from-step", help="Transitions start here (default: first step)."),
    to_step: Optional[int] = typer.Option(None, "--to-step", help="Transitions end here (default: last step)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force the input format."),
    text_field: Optional[str] = typer.Option(None, "--text-field", help="Response field of a generic file."),
    require_boxed: bool = _BOXED, use_stored_score: bool = _STORED,
    jobs: int = _JOBS, timeout: float = _TIMEOUT, no_cache: bool = _NO_CACHE,
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap replicates for the 95% intervals."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
) -> None:
    """Tag and grade every checkpoint; print and write code frequency vs accuracy per step."""
    from codereason.track import TrackOptions, collect, display_table, step_table, transition_table, write_table

    options = TrackOptions(mode=mode, benchmarks=benchmark or None, steps=_parse_steps(steps),
                           require_boxed=require_boxed, use_stored_score=use_stored_score,
                           n_jobs=jobs, timeout_s=timeout, cache=not no_cache, format=format, text_field=text_field)
    with progress(desc="tag + grade", unit=" responses") as bar:
        responses = collect([str(p) for p in inputs], options, progress=bar.update)
    table = step_table(responses, mode=mode, window=window, n_boot=bootstrap, seed=seed)
    typer.echo(display_table(table))
    if output:
        typer.echo(f"wrote {write_table(table, output)}")
    moves = transition_table(responses, from_step, to_step, strategy) if transitions else None
    if moves is not None and moves.empty:
        typer.echo("no transition table: first and last step share no problem (training logs draw new ones)")
    elif moves is not None:
        typer.echo(f"wrote {write_table(moves, transitions)}")


def _parse_steps(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--steps must be comma-separated integers, e.g. 0,50,200; got {text!r}") from None


@app.command()
def plot(
    table: Path = typer.Argument(..., help="A table written by `codereason track -o`."),
    output: Path = typer.Option(..., "-o", "--output", help="Figure file: .png, .svg or .pdf."),
    transitions: Optional[Path] = typer.Option(None, "--transitions", help="A table written by `track --transitions`."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title (default: from the table)."),
) -> None:
    """Plot code frequency and accuracy per step, accuracy given strategy, and transitions."""
    from codereason.plot import plot_tracking
    from codereason.track import read_table

    fig = plot_tracking(read_table(table), output, read_table(transitions) if transitions else None, title)
    typer.echo(f"wrote {output} ({len(fig.axes)} axes)")
