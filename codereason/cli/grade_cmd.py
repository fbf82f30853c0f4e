"""Commands ``grade``, ``track`` and ``plot``: thin wrappers over grade, track and plot."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import List, Optional

import typer

from codereason.cli._app import app
from codereason.cli._common import (
    BenchmarkFieldOption,
    FormatOption,
    GoldFieldOption,
    IdFieldOption,
    ModeOption,
    StepFieldOption,
    TextFieldOption,
    check_jobs,
    check_mode,
    check_timeout,
    field_options,
    input_files,
    no_gold_line,
    progress,
    row_writer,
)
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
    format: FormatOption = None,
    text_field: TextFieldOption = None, id_field: IdFieldOption = None, gold_field: GoldFieldOption = None,
    step_field: StepFieldOption = None, benchmark_field: BenchmarkFieldOption = None,
    require_boxed: bool = _BOXED, use_stored_score: bool = _STORED,
    jobs: int = _JOBS, timeout: float = _TIMEOUT, no_cache: bool = _NO_CACHE,
    ray: Optional[str] = RAY_OPTION,
) -> None:
    """Grade final answers with math-verify (last \\boxed{} first) and print a summary."""
    from codereason.grade import GradeCache, GradeSummary, grade_rows
    from codereason.io import read_rows
    from codereason.writers import OUTPUT_SUFFIXES, check_output_path

    check_jobs(jobs)
    check_timeout(timeout)
    if ray:  # Ray reads the files itself and writes a folder of files: -o names that folder
        from codereason.cli._ray import grade_on_ray, refuse_reader_options
        from codereason.io import iter_input_files

        refuse_reader_options(format, id_field, gold_field, step_field, benchmark_field)
        files = [f for path in inputs for f in iter_input_files(path)]
        return grade_on_ray(ray, files, output, text_field, jobs, require_boxed=require_boxed,
                            use_stored_score=use_stored_score, timeout_s=timeout)
    files = input_files(inputs, format, text_field)
    check_output_path(output, OUTPUT_SUFFIXES, files)
    fields = field_options(text_field, id_field, gold_field, step_field, benchmark_field)
    gold_seen = [0]

    def counted(row: dict) -> dict:
        gold_seen[0] += row.get("gold") is not None
        return row

    rows = (counted(r) for p in files for r in read_rows(p, format=format, **fields))
    summary, cache = GradeSummary(), (None if no_cache else GradeCache())
    graded = grade_rows(rows, summary, require_boxed=require_boxed, use_stored_score=use_stored_score,
                        n_jobs=jobs, timeout_s=timeout, cache=cache)
    # closing(): the grading workers are stopped before the report, also when Ctrl-C lands outside the generator
    with row_writer(output) as writer, progress(desc="grading", unit=" responses") as bar, closing(graded):
        for row in graded:
            writer.write(row)
            bar.update(1)
    if summary.n and not gold_seen[0] and not use_stored_score:
        typer.echo(no_gold_line(summary.n))
    else:
        typer.echo(f"graded {summary.n} responses: accuracy {summary.correct / max(summary.n, 1):.3f}; "
                   + ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items()))
                   + (f" ({summary.n - gold_seen[0]} without a gold answer)" if gold_seen[0] < summary.n else ""))
    if summary.n_stored:
        typer.echo(f"stored score used for {summary.n_stored}; math-verify agrees on {summary.agree / summary.n_stored:.3f}")
    if output:
        typer.echo(f"wrote {output}")


@app.command()
def track(
    inputs: List[Path] = typer.Argument(..., help="One rollout file or directory per checkpoint (or a training run)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the per-step table (.csv or .parquet)."),
    mode: ModeOption = "ast",
    benchmark: Optional[List[str]] = typer.Option(None, "--benchmark", help="Keep only this benchmark (repeatable)."),
    steps: Optional[str] = typer.Option(None, "--steps", help="Comma-separated step per input, when neither record nor path has one."),
    window: Optional[int] = typer.Option(None, "--window", help="Pool each step with the previous W-1 steps (training logs)."),
    transitions: Optional[Path] = typer.Option(None, "--transitions", help="Also write the first→last step transition table here."),
    strategy: str = typer.Option("auto", "--strategy", help="Problem strategy for transitions: greedy, majority or auto."),
    from_step: Optional[int] = typer.Option(None, "--from-step", help="Transitions start here (default: first step)."),
    to_step: Optional[int] = typer.Option(None, "--to-step", help="Transitions end here (default: last step)."),
    format: FormatOption = None,
    text_field: TextFieldOption = None, id_field: IdFieldOption = None, gold_field: GoldFieldOption = None,
    step_field: StepFieldOption = None, benchmark_field: BenchmarkFieldOption = None,
    require_boxed: bool = _BOXED, use_stored_score: bool = _STORED,
    jobs: int = _JOBS, timeout: float = _TIMEOUT, no_cache: bool = _NO_CACHE,
    bootstrap: int = typer.Option(1000, "--bootstrap", help="Bootstrap replicates for the 95% intervals."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
) -> None:
    """Tag and grade every checkpoint; print and write code frequency vs accuracy per step."""
    from codereason.track import (
        TABLE_SUFFIXES,
        TrackOptions,
        collect,
        display_table,
        drop_duplicate_keys,
        step_table,
        transition_table,
        without_accuracy,
        write_table,
    )
    from codereason.writers import check_output_path

    options = TrackOptions(mode=mode, benchmarks=benchmark or None, steps=_parse_steps(steps),
                           require_boxed=require_boxed, use_stored_score=use_stored_score,
                           n_jobs=jobs, timeout_s=timeout, cache=not no_cache, format=format,
                           **field_options(text_field, id_field, gold_field, step_field, benchmark_field))
    _check_track_arguments(options, len(inputs), window, strategy, bootstrap)
    files = input_files(inputs, format, text_field)
    check_output_path(output, TABLE_SUFFIXES, files)
    check_output_path(transitions, TABLE_SUFFIXES, files, "--transitions")
    if output and transitions and output.resolve() == transitions.resolve():
        raise ConfigError(f"-o and --transitions both name {output}; give two files")
    with progress(desc="tag + grade", unit=" responses") as bar:
        responses = collect([str(p) for p in inputs], options, progress=bar.update)
    responses, duplicates = drop_duplicate_keys(responses)
    if duplicates:
        typer.echo(duplicates, err=True)
    _check_steps_present(responses, from_step, to_step)
    table = step_table(responses, mode=mode, window=window, n_boot=bootstrap, seed=seed)
    if len(responses) and not responses["has_gold"].any() and not use_stored_score:
        typer.echo(no_gold_line(len(responses)))
        table = without_accuracy(table)
    typer.echo(display_table(table))
    if output:
        typer.echo(f"wrote {write_table(table, output)}")
    moves = transition_table(responses, from_step, to_step, strategy) if transitions else None
    if moves is not None and moves.empty:
        typer.echo("no transition table: first and last step share no problem (training logs draw new ones)")
    elif moves is not None:
        typer.echo(f"wrote {write_table(moves, transitions)}")


def _check_track_arguments(options, n_inputs: int, window: int | None, strategy: str, bootstrap: int) -> None:
    """Every ``track`` argument that can be checked before reading anything."""
    from codereason.metrics import STRATEGIES

    check_mode(options.mode)
    check_jobs(options.n_jobs)
    check_timeout(options.timeout_s)
    options.check(n_inputs)
    if window is not None and window < 1:
        raise ConfigError(f"--window must be a positive number of steps; got {window}")
    if strategy not in (*STRATEGIES, "auto"):
        raise ConfigError.bad_choice("--strategy", strategy, (*STRATEGIES, "auto"))
    if bootstrap < 0:
        raise ConfigError(f"--bootstrap must be a number of replicates (0: no intervals); got {bootstrap}")


def _check_steps_present(responses, from_step: int | None, to_step: int | None) -> None:
    steps = sorted(int(s) for s in responses["step"].unique())
    for option, step in (("--from-step", from_step), ("--to-step", to_step)):
        if step is not None and step not in steps:
            raise ConfigError(f"{option} {step}: no response has that step; the steps are "
                              f"{', '.join(map(str, steps)) or 'none'}")


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
    from codereason.plot import FIGURE_SUFFIXES, TRACK_COLUMNS, TRANSITION_COLUMNS, plot_tracking
    from codereason.track import read_table
    from codereason.writers import check_output_path

    inputs = [table] + ([transitions] if transitions else [])
    check_output_path(output, FIGURE_SUFFIXES, inputs)
    steps = read_table(table, TRACK_COLUMNS)
    moves = read_table(transitions, TRANSITION_COLUMNS, "transition table") if transitions else None
    fig = plot_tracking(steps, output, moves, title)
    typer.echo(f"wrote {output} ({len(fig.axes)} axes)")
