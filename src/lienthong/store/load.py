"""Bulk upsert of validated rows, with provenance and a history of changed values.

A chunk's rows are first turned into what the driver loads fastest (:func:`bulk_payload`, which
the pipeline runs in its checking thread): SQLite gets plain tuples for one raw ``executemany``,
PostgreSQL a CSV block made by Polars for ``COPY … FROM STDIN``. Provenance (batch, system, time)
is part of every row (SQLite: constants of the statement).

A batch that started on an empty table cannot meet a stored key, so its chunks go straight into
the store table (no stage); should a key be stored after all (another batch loading the same
table meanwhile), that insert is undone to a savepoint and the chunk merged. The merge stages
the chunk in a temporary table, copies rows whose values differ to the history table, and runs
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed``. Re-loading identical values writes
nothing (all unchanged).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import psycopg
from psycopg import sql
from sqlalchemy import (
    Connection,
    Dialect,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    false,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.db import UTCDateTime
from lienthong.standards.schema import StandardSpec
from lienthong.store.tables import PROVENANCE, ensure_tables, stage_table

# INSERT … SELECT row counts are kept only on request (SQLAlchemy 2.1).
COUNTED = {"preserve_rowcount": True}
COPY_BLOCK = 1 << 20
DUPLICATE_KEY = (IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)


@dataclass
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: LoadCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass(frozen=True)
class Bulk:
    """A chunk's valid rows ready for the driver. PostgreSQL: every column (fields, then
    provenance) as one CSV block. SQLite: the field columns as the driver binds them, sorted by
    key (index pages fill in order), turned into tuples only at write time; the provenance
    values, the same for every row, go into the statement."""

    rows: int
    provenance: dict[str, str]
    csv: bytes | None = None
    frame: pl.DataFrame | None = None


def bulk_payload(
    frame: pl.DataFrame,
    *,
    spec: StandardSpec,
    dialect: Dialect,
    batch_id: str,
    system: str,
    now: datetime,
) -> Bulk:
    """Typed valid rows (standard field columns; extras ignored) in the driver's bulk form.
    Polars work only, so it can run in another thread without holding the GIL long."""
    stamp = UTCDateTime().bind_processor(dialect)
    when = str(stamp(now) if stamp is not None else now)  # the text each engine stores
    provenance = {
        "_batch_id": batch_id,
        "_source_system": system,
        "_loaded_at": when,
        "_updated_at": when,
    }
    if dialect.name == "postgresql":
        data = (
            frame.select(
                *spec.field_names, *[pl.lit(v, pl.Utf8).alias(k) for k, v in provenance.items()]
            )
            .sort(list(spec.primary_key))
            .write_csv(include_header=False, null_value="", quote_style="non_numeric")
        )
        return Bulk(frame.height, provenance, csv=data.encode())
    schema = frame.select(spec.field_names).schema
    converted = frame.select(
        *[
            pl.col(f).dt.to_string("%Y-%m-%d")
            if t == pl.Date
            else pl.col(f).cast(pl.Int8)
            if t == pl.Boolean
            else pl.col(f)
            for f, t in schema.items()
        ]
    ).sort(list(spec.primary_key))
    return Bulk(frame.height, provenance, frame=converted)


def _write(conn: Connection, table: Table, bulk: Bulk, spec: StandardSpec) -> None:
    """Bulk-write ``bulk`` into ``table`` (store or stage) through the raw driver connection."""
    raw = conn.connection.driver_connection
    assert raw is not None
    if bulk.csv is not None:
        columns = [*spec.field_names, *PROVENANCE]
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            view = memoryview(bulk.csv)
            for start in range(0, len(view), COPY_BLOCK):
                copy.write(view[start : start + COPY_BLOCK])
        return
    assert bulk.frame is not None
    # Field values are bound per row; the provenance constants are rendered by SQLAlchemy as
    # escaped literals (binding four more values per row costs a fifth of the write).
    values: dict[str, Any] = {f: bindparam(f) for f in spec.field_names}
    for name, value in bulk.provenance.items():
        rendered = literal(value, String()).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        values[name] = literal_column(str(rendered))
    compiled = table.insert().values(values).compile(dialect=conn.dialect)
    assert compiled.positiontup == spec.field_names, "bulk columns out of the table's order"
    cursor = raw.cursor()
    try:
        # Column lists zipped lazily into tuples: cheaper than ``DataFrame.rows()`` and no
        # second list of a chunk's rows is held.
        columns = [series.to_list() for series in bulk.frame.iter_columns()]
        cursor.executemany(str(compiled), zip(*columns, strict=True))
    finally:
        cursor.close()


def _changed(left: Any, right: Any, spec: StandardSpec) -> Any:
    """Any non-key value differs (NULL-safe); ``left``/``right`` are column collections."""
    others = [f for f in spec.field_names if f not in spec.primary_key]
    if not others:
        return false()
    return or_(*[left[f].is_distinct_from(right[f]) for f in others])


def _bulk_session(conn: Connection) -> None:
    """Per-transaction settings for bulk work."""
    if conn.dialect.name == "postgresql":
        # A lost commit loses its chunk and the chunk's progress together: resuming stays exact.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        return
    # A 256 MiB page cache on this connection (temp tables are in memory: db.make_engine).
    conn.exec_driver_sql("PRAGMA cache_size=-262144")
    raw = conn.connection.driver_connection
    if raw is not None and not raw.in_transaction:
        # The sqlite3 module opens its transaction lazily, at the first INSERT: without this a
        # savepoint would be the outermost transaction and its release would commit the chunk
        # apart from the batch's progress.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def load_frame(
    *,
    session: Session,
    spec: StandardSpec,
    frame: pl.DataFrame,
    batch_id: str,
    system: str,
    now: datetime,
    new_keys_only: bool = False,
    bulk: Bulk | None = None,
) -> LoadCounts:
    """Upsert typed valid rows (standard field columns; extra columns ignored).

    ``new_keys_only``: the caller knows no key of the chunk is stored yet (a batch into a table
    that was empty when it started: its own keys never repeat). The chunk is then written
    straight into the store table; should a key be stored after all, that write is undone and
    the chunk merged. ``bulk``: the chunk already in bulk form (else it is made here).
    """
    if frame.height == 0:
        return LoadCounts()
    conn = session.connection()
    current, history = ensure_tables(conn, spec)
    _bulk_session(conn)
    if bulk is None:
        bulk = bulk_payload(
            frame, spec=spec, dialect=conn.dialect, batch_id=batch_id, system=system, now=now
        )
    columns = [*spec.field_names, *PROVENANCE]
    stage = stage_table(spec, MetaData())
    staged = False
    if new_keys_only:
        if bulk.csv is None:
            # SQLite: rows are bound into the in-memory stage (outside the savepoint, so the
            # merge can still use it), then one statement in C fills the keyed table, faster
            # than binding rows into the keyed table one by one.
            stage.create(conn, checkfirst=True)
            _write(conn, stage, bulk, spec)
            staged = True
        try:
            with session.begin_nested():
                if not staged:  # PostgreSQL: COPY straight into the store table
                    _write(session.connection(), current, bulk, spec)
                else:
                    # The stage holds the chunk in key order (bulk_payload sorts it): reading
                    # it in rowid order keeps that order without SQLite sorting it again.
                    ordered = select(*[stage.c[c] for c in columns]).order_by(
                        literal_column("rowid")
                    )
                    session.connection().execute(current.insert().from_select(columns, ordered))
            if staged:
                conn.execute(stage.delete())
            return LoadCounts(inserted=frame.height)
        except DUPLICATE_KEY:
            pass  # another batch stored one of these keys meanwhile: merge instead
    if not staged:
        stage.create(conn, checkfirst=True)
        _write(conn, stage, bulk, spec)
    rows = select(*[stage.c[c] for c in columns]).where(true())
    on_key = and_(*[current.c[k] == stage.c[k] for k in spec.primary_key])
    old = (
        select(
            *[current.c[c] for c in columns],
            stage.c["_updated_at"].label("_replaced_at"),
            stage.c["_batch_id"].label("_replaced_by"),
        )
        .select_from(current.join(stage, on_key))
        .where(_changed(current.c, stage.c, spec))
    )
    updated = conn.execute(
        history.insert().from_select([*columns, "_replaced_at", "_replaced_by"], old),
        execution_options=COUNTED,
    ).rowcount
    make_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    upsert = make_insert(current).from_select(columns, rows)
    upsert = upsert.on_conflict_do_update(
        index_elements=list(spec.primary_key),
        set_={
            **{f: upsert.excluded[f] for f in spec.field_names if f not in spec.primary_key},
            "_batch_id": upsert.excluded["_batch_id"],
            "_source_system": upsert.excluded["_source_system"],
            "_updated_at": upsert.excluded["_updated_at"],
        },
        where=_changed(current.c, upsert.excluded, spec),
    )
    written = conn.execute(upsert, execution_options=COUNTED).rowcount
    conn.execute(stage.delete())
    inserted = written - updated
    return LoadCounts(inserted=inserted, updated=updated, unchanged=frame.height - written)
