"""The typer application every command module registers on."""

import typer

app = typer.Typer(
    name="codereason",
    help="Measure code reasoning in LLM math rollouts: tag, grade, track, plot, generate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
