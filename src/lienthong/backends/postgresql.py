"""PostgreSQL, the production store: row locks, session advisory locks and ``COPY``."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import psycopg
from psycopg import sql
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    Text,
    create_engine,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from lienthong.backends.base import Backend, Bulk, LockHeld, held_here
from lienthong.config import Settings

COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class CsvRows(Bulk):
    """Every column (fields, then constants) as one CSV block for ``COPY … FROM STDIN``."""

    columns: tuple[str, ...]
    csv: bytes


class PostgreSQL(Backend):
    name = "postgresql"
    auto_upgrade = False  # an operator migrates a shared server, once, not every node
    stages_new_rows = False
    duplicate_key = (IntegrityError, psycopg.IntegrityError)
    key_text = Text(collation="C")

    def make_engine(self, url: str, settings: Settings, **kwargs: Any) -> Engine:
        kwargs.setdefault("pool_size", settings.db_pool_size)
        kwargs.setdefault("max_overflow", settings.db_pool_size)
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
        # A list of rows inserted at once (an audit batch's entries and subjects) goes as one
        # multi-row INSERT per page of rows, not one statement per row.
        engine.dialect.use_insertmanyvalues_wo_returning = True
        return engine

    def autocommit(self, dbapi_connection: Any) -> None:
        dbapi_connection.autocommit = True

    def async_connector(self, engine: Engine) -> Callable[[], Awaitable[Any]]:
        # The engine's own connection arguments (host, database, options such as the schema
        # search path, and the dialect's type adapters), so both drivers read the same data
        # alike. prepare_threshold=0: every statement is prepared on its first run.
        _, params = engine.dialect.create_connect_args(engine.url)

        async def connect() -> psycopg.AsyncConnection[Any]:
            return await psycopg.AsyncConnection.connect(
                **params, autocommit=True, prepare_threshold=0
            )

        return connect

    @contextmanager
    def exclusive(self, engine: Engine, key: str) -> Iterator[None]:
        # A session advisory lock on a connection held for the block. It belongs to one
        # schema (a platform of its own) of one database.
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            conn.commit()
            digest = hashlib.sha256(f"{engine.url.database}|{schema}|{key}".encode()).digest()
            number = int.from_bytes(digest[:8], "big", signed=True)
            with held_here(digest.hex()):
                got = conn.execute(text("SELECT pg_try_advisory_lock(:n)"), {"n": number})
                held = got.scalar()
                conn.commit()
                if not held:
                    raise LockHeld(key)
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:n)"), {"n": number})
                    conn.commit()

    def take_turns(self, conn: Connection, key: str) -> None:
        # A transaction-level advisory lock: released by the commit or rollback, or the death
        # of the connection, never left behind.
        digest = hashlib.sha256(f"turns|{key}".encode()).digest()
        number = int.from_bytes(digest[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})

    def writers_lock_file(self, engine: Engine, purpose: str) -> Path | None:
        return None  # row locks queue the writers

    def lock_for_update(
        self, conn: Connection, table: Table, where: ColumnElement[bool]
    ) -> Select[Any]:
        return select(table).where(where).with_for_update()

    def bulk_rows(
        self,
        frame: pl.DataFrame,
        *,
        fields: Sequence[str],
        key: Sequence[str],
        constants: Mapping[str, str],
    ) -> Bulk:
        data = (
            frame.select(*fields, *[pl.lit(v, pl.Utf8).alias(k) for k, v in constants.items()])
            .sort(list(key))
            .write_csv(include_header=False, null_value="", quote_style="non_numeric")
        )
        return CsvRows(frame.height, columns=(*fields, *constants), csv=data.encode())

    def bulk_write(self, conn: Connection, table: Table, bulk: Bulk) -> None:
        assert isinstance(bulk, CsvRows)
        raw = conn.connection.driver_connection
        assert raw is not None
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, bulk.columns))
        )
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            view = memoryview(bulk.csv)
            for start in range(0, len(view), COPY_BLOCK):
                copy.write(view[start : start + COPY_BLOCK])

    def bulk_session(self, conn: Connection) -> None:
        # A lost commit loses its chunk and the chunk's progress together: resuming stays exact.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")

    def read_stage(self, stage: Table, columns: Sequence[str]) -> Select[Any]:
        return select(*[stage.c[c] for c in columns])  # a heap keeps no order to ask for

    def insert(self, table: Table) -> Any:
        return postgresql.insert(table)
