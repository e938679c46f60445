"""What the platform asks of a database engine, in one place (as Splink's ``DatabaseAPI``).

Everything that differs between engines is an operation here: creating the engine, the bulk
load, advisory locks, locking a row for update, the upsert construct, key column types and how
the read path's raw connection behaves. Domains ask the backend and never test a dialect name,
so an engine is added by writing one module.

This package sits below the domains: it imports nothing from them (only ``config`` and
``errors``), and is told table objects and column names.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import polars as pl
from sqlalchemy import ColumnElement, Connection, Engine, Select, Table, TextClause
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeEngine

from lienthong.config import Settings

_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


class LockHeld(Exception):
    """Another holder has the advisory lock asked for (the caller says what that means)."""


@dataclass(frozen=True)
class Bulk:
    """A chunk's rows in the form its backend's driver loads fastest (``Backend.bulk_rows``)."""

    rows: int


class Backend(ABC):
    """One database engine's way of doing what the platform needs; stateless, one per engine."""

    name: ClassVar[str]
    """The SQLAlchemy dialect name this backend serves."""
    auto_upgrade: ClassVar[bool]
    """Whether the platform applies migrations on start when the setting leaves it unsaid."""
    stages_new_rows: ClassVar[bool]
    """Rows new to a table are bound into the temporary stage and copied from there (else
    written straight into the table)."""
    duplicate_key: ClassVar[tuple[type[Exception], ...]] = (IntegrityError,)
    """What a bulk write raises when a row's key is stored already."""
    part_rows: ClassVar[int | None] = None
    """An ingest writes a chunk's valid rows in transactions of at most this many (None: one
    transaction per chunk), so that other writers wait for no longer than one of them."""
    key_text: ClassVar[TypeEngine[str]]
    """Text for key columns, compared byte by byte: codes and identifiers have no linguistic
    order, and the key index builds far faster without one."""

    # -- the engine ----------------------------------------------------------------------------

    @abstractmethod
    def make_engine(self, url: str, settings: Settings, **kwargs: Any) -> Engine:
        """The engine for ``url``, with this engine's connection-time settings."""

    @abstractmethod
    def autocommit(self, dbapi_connection: Any) -> None:
        """Make a raw driver connection see the latest committed state at every statement,
        never holding a transaction open between reads."""

    def async_connector(self, engine: Engine) -> Callable[[], Awaitable[Any]] | None:
        """Opens a new asynchronous driver connection to ``engine``'s database (autocommit,
        statements prepared on the server), for the read path's event loop; None when the
        engine has no asynchronous driver and is read in process (the read path then runs its
        statements on its raw connection)."""
        return None

    # -- locks ---------------------------------------------------------------------------------

    @abstractmethod
    def exclusive(self, engine: Engine, key: str) -> AbstractContextManager[None]:
        """Hold the advisory lock ``key`` in ``engine``'s database for the ``with`` block, or
        raise ``LockHeld``. It dies with its holder: a killed process leaves none behind."""

    @abstractmethod
    def lock_for_update(
        self, conn: Connection, table: Table, where: ColumnElement[bool]
    ) -> Select[Any]:
        """A select of ``table``'s rows matching ``where``, read so that no other transaction
        can read them for update before this one ends (rows may be missing: inserting them
        stays serialised)."""

    @abstractmethod
    def writers_lock_file(self, engine: Engine, purpose: str) -> Path | None:
        """A file on which the writers of several processes queue (an OS lock) instead of
        polling the database's busy lock; None when the database queues them itself."""

    # -- the bulk load -------------------------------------------------------------------------

    @abstractmethod
    def bulk_rows(
        self,
        frame: pl.DataFrame,
        *,
        fields: Sequence[str],
        key: Sequence[str],
        constants: Mapping[str, str],
    ) -> Bulk:
        """The ``fields`` of typed rows, sorted by ``key`` (index pages fill in order), and
        ``constants`` (text, the same in every row, columns after the fields) in bulk form.
        Polars work only, so it can run in another thread without holding the GIL long."""

    @abstractmethod
    def bulk_write(self, conn: Connection, table: Table, bulk: Bulk) -> None:
        """Write ``bulk`` into ``table`` through the raw driver connection."""

    @abstractmethod
    def bulk_session(self, conn: Connection) -> None:
        """Settings for bulk work in the current transaction."""

    @abstractmethod
    def read_stage(self, stage: Table, columns: Sequence[str]) -> Select[Any]:
        """``columns`` of the stage's rows, in the order they were written."""

    @abstractmethod
    def insert(self, table: Table) -> Any:
        """The dialect's insert construct of ``table`` (one with ``ON CONFLICT … DO UPDATE``)."""

    def upsert(
        self,
        table: Table,
        rows: Select[Any],
        *,
        columns: Sequence[str],
        key: Sequence[str],
        update: Sequence[str],
        changed: Callable[[Any], ColumnElement[bool]],
    ) -> Any:
        """``INSERT INTO table (columns) rows``; a row whose ``key`` is stored sets ``update``
        to the new values where ``changed(new values)`` holds, and is left alone elsewhere."""
        stmt = self.insert(table).from_select(list(columns), rows)
        return stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={c: stmt.excluded[c] for c in update},
            where=changed(stmt.excluded),
        )

    def insert_new(
        self,
        table: Table,
        *,
        key: Sequence[str],
        where: ColumnElement[bool] | TextClause | None = None,
    ) -> Any:
        """``INSERT INTO table``, skipping a row whose ``key`` is stored already (among the
        rows ``where`` holds: a partial unique index), a repeat within the rows too."""
        return self.insert(table).on_conflict_do_nothing(
            index_elements=list(key), index_where=where
        )

    @abstractmethod
    def take_turns(self, conn: Connection, key: str) -> None:
        """Make the transactions that call this with ``key`` run their remaining work one
        after another until each ends, so that numbers they draw in order (a sequence) commit
        in that order. Nothing to do where one writer writes at a time (SQLite)."""


@contextmanager
def held_here(name: str) -> Iterator[None]:
    """Hold ``name`` among this process's locks, or raise ``LockHeld``: a second holder in the
    same process is refused before the database is asked."""
    with _HELD_GUARD:
        if name in _HELD:
            raise LockHeld(name)
        _HELD.add(name)
    try:
        yield
    finally:
        with _HELD_GUARD:
            _HELD.discard(name)
