"""Pulling rows from a database by SQLAlchemy URL, incrementally by a watermark column.

Rows with ``watermark > since`` are read in watermark order, streamed in chunks; after the
last chunk ``Source.watermark_max`` holds the greatest watermark read (pass it as ``since``
next time). Table and column names are validated identifiers; ``since`` is a bound parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from lienthong.ingest.sources.base import Source, clean_header, normalise_values, with_row_numbers
from lienthong.ingest.sources.errors import SourceUnavailable

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _identifier(name: str, what: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise SourceUnavailable(f"invalid {what} name {name!r}", where=what)
    return name


def _coerce(since: str, column: sa.ColumnElement[Any]) -> Any:
    """Bind ``since`` with the watermark column's Python type (an int, a date…)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return _guess(since)
    if kind is int:
        return int(since)
    if kind is datetime:
        return datetime.fromisoformat(since)
    if kind is date:
        return date.fromisoformat(since)
    return since


def _guess(since: str) -> Any:
    """Bind a query's ``since`` by its form: an integer, a date, a date-time, else text."""
    if re.fullmatch(r"-?\d{1,18}", since):
        return int(since)
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parse(since)
        except ValueError:
            continue
    return since


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _statement(
    engine: sa.Engine,
    table: str | None,
    query: str | None,
    watermark: str | None,
    since: str | None,
) -> tuple[sa.Executable, list[str], dict[str, Any]]:
    if (table is None) == (query is None):
        raise SourceUnavailable("give exactly one of a table or a query", where="table")
    if watermark is not None:
        _identifier(watermark, "watermark")
    if table is not None:
        schema, _, name = table.rpartition(".")
        try:
            reflected = sa.Table(
                _identifier(name, "table"),
                sa.MetaData(),
                autoload_with=engine,
                schema=_identifier(schema, "table") if schema else None,
            )
        except NoSuchTableError as exc:
            raise SourceUnavailable(f"no table {table!r} in the source", where="table") from exc
        stmt = sa.select(reflected)
        if watermark is not None:
            if watermark not in reflected.c:
                raise SourceUnavailable(f"no column {watermark!r} in {table}", where="watermark")
            column = reflected.c[watermark]
            if since is not None:
                stmt = stmt.where(column > _coerce(since, column))
            stmt = stmt.order_by(column)
        return stmt, list(reflected.c.keys()), {}
    assert query is not None
    inner = sa.text(query.strip().rstrip(";"))
    probe: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(
        inner.columns().subquery("src")
    )
    with engine.connect() as conn:
        names = list(conn.execute(probe.where(sa.false())).keys())
    src = inner.columns(*(sa.column(n) for n in names)).subquery("src")
    stmt = sa.select(src)
    if watermark is not None:
        if watermark not in names:
            raise SourceUnavailable(f"the query has no column {watermark!r}", where="watermark")
        if since is not None:
            stmt = stmt.where(src.c[watermark] > sa.bindparam("since", _guess(since)))
        stmt = stmt.order_by(src.c[watermark])
    return stmt, names, {}


def sql_source(
    url: str,
    *,
    table: str | None = None,
    query: str | None = None,
    watermark: str | None = None,
    since: str | None = None,
    chunk_rows: int = 100_000,
) -> Source:
    """A Source over a database table or query (``_row`` = 1-based position in the pull)."""
    try:
        engine = sa.create_engine(url)
        stmt, names, params = _statement(engine, table, query, watermark, since)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise SourceUnavailable(f"cannot read the source database: {exc}", where="url") from exc
    header = clean_header(names)
    source = Source(format="sql", columns=header, reader=lambda: iter(()))
    position = names.index(watermark) if watermark is not None else None

    def frame(rows: Sequence[Sequence[Any]], start: int) -> pl.DataFrame:
        data = {h: [_text(r[i]) for r in rows] for i, h in enumerate(header)}
        built = pl.DataFrame(data, schema=dict.fromkeys(header, pl.Utf8))
        return normalise_values(with_row_numbers(built, start), header)

    def reader() -> Iterator[pl.DataFrame]:
        start = 1
        try:
            with engine.connect() as conn:
                result = conn.execution_options(stream_results=True).execute(stmt, params)
                for rows in result.partitions(chunk_rows):
                    if position is not None:
                        source.watermark_max = _text(rows[-1][position])
                    yield frame(rows, start)
                    start += len(rows)
        except SQLAlchemyError as exc:
            raise SourceUnavailable(f"reading the source failed: {exc}", where="query") from exc
        finally:
            engine.dispose()

    source.reader = reader
    return source
