"""The ``lienthong`` executable: ``lienthong ingest …`` loads the ingest commands alone.

The whole command tree (:mod:`lienthong.cli`) imports every domain — Splink, DuckDB and SciPy
among them, about 110 MiB in the process before it reads a byte — and a file's load needs none
of it. Every other command, and help of the whole tree, loads the whole tree. Both run through
:func:`run`, which turns a refused start or a platform error into one line and an exit status.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from lienthong.config import get_settings
from lienthong.errors import ConfigurationError, LienthongError
from lienthong.ingest.cli import ingest_app
from lienthong.preflight import STARTUP_REFUSED
from lienthong.prepare import prepare_database
from lienthong.terminal import fail, preparation

HELP = "Lienthong: provincial data integration and sharing platform."


def run(app: typer.Typer) -> None:
    """Run a command tree as the ``lienthong`` command."""
    try:
        get_settings()  # a malformed setting is a refused start, not a traceback
        app()
    except ConfigurationError as error:
        # A refused start: one line, no traceback, its own exit status.
        sys.stderr.write(f"lienthong: refusing to start ({error.code}): {error.message}\n")
        sys.exit(STARTUP_REFUSED)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        sys.stderr.write(f"lienthong: refusing to start (invalid-setting): {problems}\n")
        sys.exit(STARTUP_REFUSED)
    except LienthongError as error:
        fail(error)
        sys.exit(1)


def ingest_tree() -> typer.Typer:
    """The ``ingest`` group under a root of its own: the same commands, options and help as
    in the whole tree."""
    app = typer.Typer(help=HELP, no_args_is_help=True, pretty_exceptions_enable=False)
    preparation.prepare = prepare_database  # as the whole tree sets it (terminal.py)
    app.add_typer(ingest_app, name="ingest")
    return app


def main() -> None:
    if sys.argv[1:2] == ["ingest"]:
        run(ingest_tree())
        return
    # Here, not at the top: only commands other than ``ingest`` need every domain.
    from lienthong.cli import app

    run(app)


if __name__ == "__main__":
    main()
