"""The codereason command line: a thin layer over the library.

Each command lives in its own module and registers itself on ``app``. Nothing in
the library imports this package.
"""

from __future__ import annotations

import sys

from codereason.cli._app import app
from codereason.errors import CodeReasonError

# Each command module registers its commands on `app` when imported; this order is the order in --help.
# isort: off
from codereason.cli import tag_cmd  # noqa: F401
from codereason.cli import grade_cmd  # noqa: F401
from codereason.cli import generate_cmd  # noqa: F401
from codereason.cli import train_cmd  # noqa: F401
from codereason.cli import report_cmd  # noqa: F401
from codereason.cli import view_cmd  # noqa: F401
# isort: on


def main() -> None:
    """Console-script entry point: user errors become one line and exit code 2."""
    try:
        app()
    except CodeReasonError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
