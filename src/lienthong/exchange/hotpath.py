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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


class HotPath:
    """One raw DBAPI connection for the event loop's primary-key selects."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self.backend = backend_for(engine)
        self._raw: Any = None

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

    def close(self) -> None:
        if self._raw is not None:
            raw, self._raw = self._raw, None
            with suppress(Exception):  # closing a broken connection may fail too
                raw.invalidate()
