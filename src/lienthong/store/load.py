"""Bulk upsert of validated rows, with provenance and a history of changed values.

A chunk's rows are first turned into what the driver loads fastest (:func:`bulk_payload`, which
the pipeline runs in its checking thread), by the database's backend: SQLite gets plain tuples
for one raw ``executemany``, PostgreSQL a CSV block made by Polars for ``COPY … FROM STDIN``.
Provenance (batch, system, time) is part of every row (SQLite: constants of the statement).

A batch that started on an empty table cannot meet a stored key, so its chunks go straight into
the store table (no stage); should a key be stored after all (another batch loading the same
table meanwhile), that insert is undone to a savepoint and the chunk merged. The merge stages
the chunk in a temporary table, copies rows whose values differ to the history table, and runs
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed``. Re-loading identical values writes
nothing (all unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Dialect, MetaData, and_, false, or_, select, true
from sqlalchemy.orm import Session

from lienthong.backends import Bulk, backend_for
from lienthong.db import UTCDateTime
from lienthong.standards.schema import StandardSpec
from lienthong.store import outbox
from lienthong.store.tables import PROVENANCE, ensure_tables, stage_table

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


def stored_time(dialect: Dialect, now: datetime) -> str:
    """``now`` as the text each engine stores for a timestamp (what a bulk load sends)."""
    stamp = UTCDateTime().bind_processor(dialect)
    return str(stamp(now) if stamp is not None else now)


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
    when = stored_time(dialect, now)
    provenance = {
        "_batch_id": batch_id,
        "_source_system": system,
        "_loaded_at": when,
        "_updated_at": when,
    }
    return backend_for(dialect).bulk_rows(
        frame, fields=spec.field_names, key=spec.primary_key, constants=provenance
    )


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
    backend = backend_for(conn)
    current, history = ensure_tables(conn, spec)
    backend.bulk_session(conn)
    if bulk is None:
        bulk = bulk_payload(
            frame, spec=spec, dialect=conn.dialect, batch_id=batch_id, system=system, now=now
        )
    columns = [*spec.field_names, *PROVENANCE]
    stage = stage_table(spec, MetaData())
    staged = False
    if new_keys_only:
        if backend.stages_new_rows:
            # SQLite: rows are bound into the in-memory stage (outside the savepoint, so the
            # merge can still use it), then one statement in C fills the keyed table, faster
            # than binding rows into the keyed table one by one.
            stage.create(conn, checkfirst=True)
            backend.bulk_write(conn, stage, bulk)
            staged = True
        try:
            with session.begin_nested():
                if not staged:  # PostgreSQL: COPY straight into the store table
                    backend.bulk_write(session.connection(), current, bulk)
                else:
                    # The stage holds the chunk in key order (bulk_payload sorts it): reading
                    # it in the order it was written keeps that order without sorting again.
                    ordered = backend.read_stage(stage, columns)
                    session.connection().execute(current.insert().from_select(columns, ordered))
                outbox.record_new(
                    session.connection(),
                    spec=spec,
                    frame=frame,
                    batch_id=batch_id,
                    when=stored_time(conn.dialect, now),
                )
            if staged:
                conn.execute(stage.delete())
            return LoadCounts(inserted=frame.height)
        except backend.duplicate_key:
            pass  # another batch stored one of these keys meanwhile: merge instead
    if not staged:
        stage.create(conn, checkfirst=True)
        backend.bulk_write(conn, stage, bulk)
    outbox.record_merge(
        conn,
        spec=spec,
        current=current,
        stage=stage,
        changed=_changed(current.c, stage.c, spec),
        batch_id=batch_id,
        now=now,
    )
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
    upsert = backend.upsert(
        current,
        rows,
        columns=columns,
        key=spec.primary_key,
        update=[
            *[f for f in spec.field_names if f not in spec.primary_key],
            "_batch_id",
            "_source_system",
            "_updated_at",
        ],
        changed=lambda new: _changed(current.c, new, spec),
    )
    written = conn.execute(upsert, execution_options=COUNTED).rowcount
    conn.execute(stage.delete())
    inserted = written - updated
    return LoadCounts(inserted=inserted, updated=updated, unchanged=frame.height - written)
