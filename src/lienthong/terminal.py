"""What every CLI command shares: the engine from settings, JSON or table output, errors.

Below every domain, so that each domain's commands can use it. Preparing an embedded database
(migrations and reference data from every domain) is the root command's to give: lienthong.cli
sets ``preparation.prepare`` to ``prepare_database``, and :func:`cli_engine` calls it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lienthong.config import get_settings
from lienthong.db import make_engine, should_auto_upgrade, transaction
from lienthong.errors import LienthongError
from lienthong.paging import DEFAULT_LIMIT, PageRequest, cursor_seal

console = Console()
err_console = Console(stderr=True)


Prepare = Callable[[Engine], None]


@dataclass
class Preparation:
    """How a command prepares an embedded database; none when a sub-command runs on its own."""

    prepare: Prepare | None = None


preparation = Preparation()


@contextmanager
def cli_engine() -> Iterator[Engine]:
    """The configured database for one command (SQLite upgrades itself), disposed after."""
    settings = get_settings()
    engine = make_engine(settings)
    try:
        if should_auto_upgrade(settings) and preparation.prepare is not None:
            preparation.prepare(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def cli_session() -> Iterator[Session]:
    """One transaction for one command, on the configured database."""
    with cli_engine() as engine, transaction(engine) as session:
        yield session


def cli_page(limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> PageRequest:
    """A page for a listing command, its cursors sealed with the deployment's key."""
    return PageRequest(seal=cursor_seal(get_settings()), limit=limit, cursor=cursor)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(_plain(value), ensure_ascii=False, indent=2, default=str) + "\n")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


def fail(error: LienthongError) -> None:
    """Print the error shape on stderr; the caller exits non-zero."""
    sys.stderr.write(json.dumps(error.as_dict(), ensure_ascii=False) + "\n")
