"""The codereason command line: a thin layer over the library.

Each command lives in its own module and registers itself on ``app``. Nothing in
the library imports this package.
"""

from __future__ import annotations

import errno
import signal
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


# A file the run could not read or write for a reason the user can fix (permissions, full disk, ...).
USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EISDIR, errno.ENOTDIR,
               errno.ENOENT, errno.EFBIG, errno.ENAMETOOLONG}


def main() -> None:
    """Console-script entry point: user errors become one line and exit code 2; SIGTERM stops a run as Ctrl-C does."""
    from codereason.workers import stop_signal, terminate_as_interrupt

    terminate_as_interrupt()
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a name prints as \udXXX, not a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        app()
    except SystemExit as exc:  # click ends a KeyboardInterrupt with "Aborted!" (1, or 130): after SIGTERM, 143
        if exc.code in (1, 128 + signal.SIGINT) and stop_signal() != signal.SIGINT:
            sys.exit(128 + stop_signal())
        raise
    except CodeReasonError as exc:
        print("error: " + " ".join(str(exc).splitlines()), file=sys.stderr)
        sys.exit(2)
    except OSError as exc:
        if exc.errno not in USER_ERRNOS:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror}", file=sys.stderr)
        sys.exit(2)
