"""The read path's database access: Core statements compiled once, run on one raw connection.

Per request the read path runs primary-key selects (liveness and the record, joined into one
statement once the dataset is described: exchange.store_link). Going through
a pooled SQLAlchemy connection costs a checkout, a cache-key computation and result wrapping each
time, several times the cost of the lookups themselves. Here each statement is built with Core
and compiled once for the engine's dialect; it then runs on one DBAPI connection that the
worker's event loop keeps for itself (autocommit, so every statement sees the latest committed
state). Bind and result conversions are the column types' own processors, so values come back
as SQLAlchemy would return them. Only the event loop thread uses the connection, and no call
awaits while holding a cursor.

Where the backend has an asynchronous driver (PostgreSQL: psycopg's async connection), the
event loop's reads (``afirst``) run on a small pool of such connections instead, each statement
prepared on the server on its first run: while one read waits for its round trip, the loop
serves the others, where the blocking connection held the whole loop for it (half the worker's
time under the read benchmark). SQLite answers in process and keeps the raw connection.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from lienthong.backends import backend_for
from lienthong.outage import database_unavailable

Processor = Callable[[Any], Any]


class Prepared:
    """A Core select compiled for one dialect, with its bind and result processors."""

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order: list[str] | None = (
            list(compiled.positiontup or []) if compiled.positional else None
        )
        self.defaults: dict[str, Any] = dict(compiled.params)  # literal values in the statement
        self.binds: dict[str, Processor | None] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind, name in compiled.bind_names.items()
        }
        self.columns: list[str] = [str(c.key) for c in stmt.selected_columns]
        self.dialect = dialect
        self.types = [c.type.dialect_impl(dialect) for c in stmt.selected_columns]
        # Built from the first result's description: some processors depend on the type the
        # driver reports (a reflected float column on PostgreSQL), as in SQLAlchemy itself.
        self.results: list[tuple[int, Processor]] | None = None

    def args(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bound = {}
        for name, value in (self.defaults | dict(values)).items():
            processor = self.binds.get(name)
            bound[name] = processor(value) if processor is not None else value
        if self.order is None:
            return bound
        return [bound[name] for name in self.order]

    def convert(self, row: Sequence[Any], description: Sequence[Sequence[Any]]) -> list[Any]:
        if self.results is None:
            self.results = [
                (i, p)
                for i, (kind, column) in enumerate(zip(self.types, description, strict=True))
                if (p := kind.result_processor(self.dialect, column[1])) is not None
            ]
        out = list(row)
        for i, processor in self.results:
            out[i] = processor(out[i])
        return out


class LoopPool:
    """Asynchronous driver connections for one event loop: a free list, no lock and no
    background task, because only the loop's own thread takes and returns them.

    At most ``size`` connections are open; a read that finds none free waits for the next one
    returned. A broken connection is closed, not returned. When a different event loop asks
    (a test client starts one per client), the old loop's connections are closed first.
    """

    def __init__(self, connect: Callable[[], Awaitable[Any]], size: int) -> None:
        self.connect = connect
        self.size = max(1, size)
        self._idle: list[Any] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def opened(self) -> int:
        """Connections open now (idle or in use)."""
        return self._open

    async def take(self) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop = loop
        if self._idle:
            return self._idle.pop()
        if self._open >= self.size:
            waiter: asyncio.Future[Any] = loop.create_future()
            self._waiters.append(waiter)
            try:
                given = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                    self.give(waiter.result())
                elif waiter.done() and not waiter.cancelled():
                    self._hand_on(None)  # the slot passed to us: pass it on
                raise
            if given is not None:
                return given
            # else a connection was closed and its slot passed to us: open a new one
        self._open += 1
        try:
            return await self.connect()
        except BaseException:
            self._open -= 1
            self._hand_on(None)
            raise

    def give(self, conn: Any) -> None:
        """Return a connection after use."""
        if not self._hand_on(conn):
            self._idle.append(conn)

    def discard(self, conn: Any) -> None:
        """Close a broken connection; a waiting read may open one in its place."""
        self._open -= 1
        _finish(conn)
        self._hand_on(None)

    def _hand_on(self, conn: Any) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            _finish(conn)
        self._open = 0
        self._waiters.clear()


def _finish(conn: Any) -> None:
    # Closes the socket without awaiting: also from a thread, or after the loop has stopped.
    with suppress(Exception):
        conn.pgconn.finish()


class HotPath:
    """The event loop's primary-key selects: one raw DBAPI connection, or a pool of
    asynchronous driver connections where the backend has them."""

    def __init__(self, engine: Engine, pool_size: int = 10, *, asynchronous: bool = True) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.backend = backend_for(engine)
        self._raw: Any = None
        connect = self.backend.async_connector(engine) if asynchronous else None
        self.pool = LoopPool(connect, pool_size) if connect is not None else None

    def prepare(self, stmt: Select[Any]) -> Prepared:
        return Prepared(stmt, self.dialect)

    def _connection(self) -> Any:
        if self._raw is None:
            raw = self.engine.raw_connection()
            self.backend.autocommit(raw.dbapi_connection)
            self._raw = raw
        return self._raw.dbapi_connection

    def first(self, prepared: Prepared, values: Mapping[str, Any]) -> list[Any] | None:
        """The first row (converted), or None. A broken connection is replaced once; a database
        that cannot be reached is ``database-unavailable`` (503)."""
        dbapi = self.dialect.loaded_dbapi
        for attempt in (1, 2):
            try:
                cursor = self._connection().cursor()
                try:
                    cursor.execute(prepared.sql, prepared.args(values))
                    row = cursor.fetchone()
                    description = cursor.description
                finally:
                    cursor.close()
                return None if row is None else prepared.convert(row, description)
            except (dbapi.OperationalError, dbapi.InterfaceError, DBAPIError) as exc:
                self.close()
                if attempt == 2:
                    raise database_unavailable(exc) from exc
        return None  # pragma: no cover - the loop returns or raises

    async def afirst(self, prepared: Prepared, values: Mapping[str, Any]) -> list[Any] | None:
        """As ``first``, awaiting the round trip on a pooled asynchronous connection (prepared
        statement); ``first`` itself where the backend has no asynchronous driver."""
        pool = self.pool
        if pool is None:
            return self.first(prepared, values)
        dbapi = self.dialect.loaded_dbapi
        for attempt in (1, 2):
            try:
                conn = await pool.take()
            except (dbapi.OperationalError, dbapi.InterfaceError, OSError) as exc:
                if attempt == 2:
                    raise database_unavailable(exc) from exc
                continue
            try:
                cursor = await conn.execute(prepared.sql, prepared.args(values), prepare=True)
                row = await cursor.fetchone()
                description = cursor.description
            except (dbapi.OperationalError, dbapi.InterfaceError) as exc:
                pool.discard(conn)
                if attempt == 2:
                    raise database_unavailable(exc) from exc
                continue
            except BaseException:
                pool.discard(conn)  # a cancelled read may leave its statement half-run
                raise
            pool.give(conn)
            return None if row is None else prepared.convert(row, description)
        return None  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        if self._raw is not None:
            raw, self._raw = self._raw, None
            with suppress(Exception):  # closing a broken connection may fail too
                raw.invalidate()
