"""SQLite, the embedded default: one file, one writer at a time, locks on files beside it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    literal,
    literal_column,
    make_url,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from lienthong.backends.base import Backend, Bulk, LockHeld, held_here
from lienthong.config import Settings

try:  # POSIX; elsewhere a lock covers the threads of one process only
    import fcntl
except ImportError:  # pragma: no cover - not on the reference platform
    fcntl = None  # type: ignore[assignment]

BIND_ROWS = 10_000  # rows turned into Python values and bound at a time


@dataclass(frozen=True)
class BoundRows(Bulk):
    """The field columns as the driver binds them, turned into tuples only at write time; the
    constants, the same for every row, go into the statement."""

    frame: pl.DataFrame
    constants: Mapping[str, str]


def _pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    # FULL: the WAL is fsync'd at every commit, so a committed transaction (an audit entry
    # among them) survives a power loss; NORMAL only syncs at WAL checkpoints (faster, and
    # the last commits may be lost). docs/operations.md has the trade-off and its cost.
    mode = {"full": "FULL", "normal": "NORMAL"}[synchronous]

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={mode}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Temporary tables (bulk-load stages) in memory. Set here, at connect: SQLite refuses
        # to change it inside a transaction, and a bulk load may start inside one (a replay).
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return pragmas


def _owner_only(database: Path) -> None:
    """Create the SQLite file readable by its owner only, or make an existing one so.

    SQLite gives the -wal and -shm files the database file's permissions.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):  # not ours: leave it
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(0o600)


def _file(engine: Engine) -> str | None:
    """The database file, or None for a database in memory."""
    database = engine.url.database
    return None if not database or database == ":memory:" else database


class SQLite(Backend):
    name = "sqlite"
    auto_upgrade = True  # embedded: nobody else is there to migrate it
    stages_new_rows = True
    # One write lock for every writer: an ingest's transaction is what a read's audit commit
    # waits for (audit.turns), so while an audit entry waits it ends after a part of this
    # many rows (about 25 ms here); while nobody reads, it goes on to the chunk's end
    # (ingest.job.load). Measured in docs/performance.md.
    part_rows = 2_500
    duplicate_key = (IntegrityError, sqlite3.IntegrityError)
    key_text = Text()  # SQLite's default collation compares bytes already

    def make_engine(self, url: str, settings: Settings, **kwargs: Any) -> Engine:
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            _owner_only(Path(database))
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _pragmas(settings.sqlite_synchronous))
        return engine

    def autocommit(self, dbapi_connection: Any) -> None:
        pass  # the sqlite3 module opens no transaction for a select

    @contextmanager
    def exclusive(self, engine: Engine, key: str) -> Iterator[None]:
        # An exclusive flock on a file beside the database: every process and thread opens
        # its own descriptor, so both are excluded.
        name = hashlib.sha256(f"{engine.url.database}|{key}".encode()).hexdigest()
        with held_here(name):
            database = _file(engine)
            if fcntl is None or database is None:
                yield
                return
            folder = Path(f"{database}.claims")
            folder.mkdir(exist_ok=True)
            with (folder / name).open("a") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError as exc:
                    raise LockHeld(key) from exc
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def lock_for_update(
        self, conn: Connection, table: Table, where: ColumnElement[bool]
    ) -> Select[Any]:
        # SQLite locks the whole database: take its write lock now (an update that changes
        # nothing), so that two writers never both read the rows before either writes.
        conn.execute(update(table).where(where).values({c: c for c in table.primary_key}))
        return select(table).where(where)

    def take_turns(self, conn: Connection, key: str) -> None:
        pass  # one writer at a time: a transaction that writes holds the database's lock

    def writers_lock_file(self, engine: Engine, purpose: str) -> Path | None:
        database = _file(engine)
        return None if database is None else Path(f"{database}-{purpose}.lock")

    def bulk_rows(
        self,
        frame: pl.DataFrame,
        *,
        fields: Sequence[str],
        key: Sequence[str],
        constants: Mapping[str, str],
    ) -> Bulk:
        schema = frame.select(fields).schema
        converted = frame.select(
            *[
                pl.col(f).dt.to_string("%Y-%m-%d")
                if t == pl.Date
                else pl.col(f).cast(pl.Int8)
                if t == pl.Boolean
                else pl.col(f)
                for f, t in schema.items()
            ]
        ).sort(list(key))
        return BoundRows(frame.height, frame=converted, constants=dict(constants))

    def bulk_write(self, conn: Connection, table: Table, bulk: Bulk) -> None:
        assert isinstance(bulk, BoundRows)
        raw = conn.connection.driver_connection
        assert raw is not None
        fields = bulk.frame.columns
        # Field values are bound per row; the constants are rendered by SQLAlchemy as escaped
        # literals (binding four more values per row costs a fifth of the write).
        values: dict[str, Any] = {f: bindparam(f) for f in fields}
        for name, value in bulk.constants.items():
            rendered = literal(value, String()).compile(
                dialect=conn.dialect, compile_kwargs={"literal_binds": True}
            )
            values[name] = literal_column(str(rendered))
        compiled = table.insert().values(values).compile(dialect=conn.dialect)
        assert compiled.positiontup == fields, "bulk columns out of the table's order"
        cursor = raw.cursor()
        try:
            # Column lists zipped lazily into tuples: cheaper than ``DataFrame.rows()`` and no
            # second list of a chunk's rows is held. A slice at a time: a chunk's values as
            # Python objects would take several times its size in the frame.
            for part in bulk.frame.iter_slices(BIND_ROWS):
                columns = [series.to_list() for series in part.iter_columns()]
                cursor.executemany(str(compiled), zip(*columns, strict=True))
        finally:
            cursor.close()

    def bulk_session(self, conn: Connection) -> None:
        # An 8 MiB page cache on this connection (temp tables are in memory: make_engine):
        # a 256 MiB one filled up as the table grew, a large part of an ingest's memory.
        conn.exec_driver_sql("PRAGMA cache_size=-8192")
        raw = conn.connection.driver_connection
        if raw is not None and not raw.in_transaction:
            # The sqlite3 module opens its transaction lazily, at the first INSERT: without
            # this a savepoint would be the outermost transaction and its release would commit
            # the chunk apart from the batch's progress.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def read_stage(self, stage: Table, columns: Sequence[str]) -> Select[Any]:
        # Rowid order is write order: no sort needed to keep it.
        return select(*[stage.c[c] for c in columns]).order_by(literal_column("rowid"))

    def insert(self, table: Table) -> Any:
        return sqlite.insert(table)
