"""Bulk upsert of validated rows: stage the chunk, keep changed rows' old values, merge.

The chunk goes into a temporary stage table (PostgreSQL: ``COPY … FROM STDIN``; SQLite: one
``executemany``), then two set-based statements do the rest: rows whose values differ are
copied to the history table, and ``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed``
writes new and changed rows. Re-loading identical values writes nothing (all unchanged).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from psycopg import sql
from sqlalchemy import Connection, MetaData, String, Table, and_, false, literal, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.db import UTCDateTime
from lienthong.standards.schema import StandardSpec
from lienthong.store.tables import ensure_tables, stage_table

# INSERT … SELECT row counts are kept only on request (SQLAlchemy 2.1).
COUNTED = {"preserve_rowcount": True}


@dataclass
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: LoadCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def _copy_postgres(conn: Connection, stage: Table, frame: pl.DataFrame) -> None:
    data = frame.write_csv(include_header=False, null_value="", quote_style="non_numeric")
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        sql.Identifier(stage.name), sql.SQL(", ").join(map(sql.Identifier, frame.columns))
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        buffer = io.BytesIO(data.encode())
        while block := buffer.read(1 << 20):
            copy.write(block)


def _insert_sqlite(conn: Connection, stage: Table, frame: pl.DataFrame) -> None:
    converted = frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date]
        + [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean]
    )
    statement = str(stage.insert().compile(dialect=conn.dialect))
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.executemany(statement, converted.rows())
    finally:
        cursor.close()


def _changed(left: Any, right: Any, spec: StandardSpec) -> Any:
    """Any non-key value differs (NULL-safe); ``left``/``right`` are column collections."""
    others = [f for f in spec.field_names if f not in spec.primary_key]
    if not others:
        return false()
    return or_(*[left[f].is_distinct_from(right[f]) for f in others])


def load_frame(
    *,
    session: Session,
    spec: StandardSpec,
    frame: pl.DataFrame,
    batch_id: str,
    system: str,
    now: datetime,
    new_keys_only: bool = False,
) -> LoadCounts:
    """Upsert typed valid rows (standard field columns; extra columns ignored).

    ``new_keys_only``: the caller knows no key of the chunk is stored yet (a batch into a table
    that was empty when it started: its own keys never repeat). The chunk is then a plain
    insert; should a key be stored after all, the insert is undone and the chunk merged.
    """
    if frame.height == 0:
        return LoadCounts()
    conn = session.connection()
    current, history = ensure_tables(conn, spec)
    if conn.dialect.name == "sqlite":
        # In-memory temp tables and a bigger page cache for bulk work on this connection (set
        # before the stage exists: changing temp_store drops temporary tables).
        if conn.exec_driver_sql("PRAGMA temp_store").scalar() != 2:
            conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
        conn.exec_driver_sql("PRAGMA cache_size=-131072")
    stage = stage_table(spec, MetaData())
    stage.create(conn, checkfirst=True)
    data = frame.select(spec.field_names)
    if conn.dialect.name == "postgresql":
        # A lost commit loses its chunk and the chunk's progress together: resuming stays exact.
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        _copy_postgres(conn, stage, data)
    else:
        _insert_sqlite(conn, stage, data)
    columns = [*spec.field_names, "_batch_id", "_source_system", "_loaded_at", "_updated_at"]
    rows = select(
        *[stage.c[c] for c in spec.field_names],
        literal(batch_id, String()).label("_batch_id"),
        literal(system, String()).label("_source_system"),
        literal(now, UTCDateTime()).label("_loaded_at"),
        literal(now, UTCDateTime()).label("_updated_at"),
    ).where(true())
    if new_keys_only:
        try:
            with session.begin_nested():
                session.connection().execute(current.insert().from_select(columns, rows))
            conn.execute(stage.delete())
            return LoadCounts(inserted=frame.height)
        except IntegrityError:
            pass  # another batch stored one of these keys meanwhile: merge instead
    on_key = and_(*[current.c[k] == stage.c[k] for k in spec.primary_key])
    old = (
        select(
            *[current.c[c] for c in columns],
            literal(now, UTCDateTime()).label("_replaced_at"),
            literal(batch_id, String()).label("_replaced_by"),
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
