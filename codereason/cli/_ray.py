"""The ``--ray ADDRESS`` option of ``generate``, ``tag`` and ``grade``, and what they print with it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

RAY_HELP = ("Run on a Ray cluster: auto (the cluster this machine joined with `ray start`), HOST:PORT, "
            "ray://HOST:10001, or local (start Ray here). Needs the ray extra; -o is then a folder of files.")
RAY_OPTION: Optional[str] = typer.Option(None, "--ray", metavar="ADDRESS", help=RAY_HELP)


def refuse_reader_options(format, id_field, gold_field, step_field, benchmark_field, **more: bool) -> None:
    """:func:`refuse_local_options` for the reader options tag and grade share (set = not None)."""
    refuse_local_options(format=format is not None, id_field=id_field is not None, gold_field=gold_field is not None,
                         step_field=step_field is not None, benchmark_field=benchmark_field is not None, **more)


def refuse_local_options(**given: bool) -> None:
    """Options that have no meaning with ``--ray`` are refused by name, not ignored.

    Raises:
        ConfigError: one of ``given`` (option name -> whether the user set it) is set.
    """
    from codereason.errors import ConfigError

    used = [f"--{name.replace('_', '-')}" for name, is_set in given.items() if is_set]
    if used:
        raise ConfigError(f"--ray does not take {', '.join(used)} (Ray reads JSONL/Parquet itself and "
                          "spreads the work over the cluster); drop them or run without --ray")


def tag_on_ray(address: str, files: list[Path], output: Path | None, text_field: str | None, mode: str) -> None:
    """``tag --ray``: label on the cluster and print the counts."""
    from codereason.cluster import connect, tag_files

    connect(address)
    n = tag_files([str(f) for f in files], str(output) if output else None, text_field or "response", mode)
    rows = max(n["rows"], 1)
    typer.echo(f"tagged {n['rows']} responses on Ray: code reasoning ({mode}) {n['code_reasoning']} "
               f"({n['code_reasoning'] / rows:.3f}), paper rule {n['paper_code']} ({n['paper_code'] / rows:.3f})")
    if output:
        typer.echo(f"wrote {n['rows']} records to {output}/")


def grade_on_ray(address: str, files: list[Path], output: Path | None, text_field: str | None, jobs: int,
                 **options) -> None:
    """``grade --ray``: grade on the cluster (``jobs`` grading actors) and print the counts."""
    from codereason.cluster import connect, grade_files

    connect(address)
    n = grade_files([str(f) for f in files], str(output) if output else None, text_field or "response",
                    concurrency=max(jobs, 1), **options)
    statuses = ", ".join(f"{k.split('=', 1)[1]} {v}" for k, v in sorted(n.items()) if k.startswith("grade_status=") and v)
    typer.echo(f"graded {n['rows']} responses on Ray: accuracy {n['correct'] / max(n['rows'], 1):.3f}; {statuses} "
               "(the local grade cache is not used on Ray)")
    if output:
        typer.echo(f"wrote {n['rows']} records to {output}/")
