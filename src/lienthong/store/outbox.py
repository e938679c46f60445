"""The change outbox: one row per record a store write inserted or changed, written in the same
transaction as the write (a transactional outbox), read by ``lienthong.changes``.

A row names the dataset (and standard version), the record key, the operation, the fields
whose values changed and the record's commune (its area field), so that a consumer is told
only what its grant covers. ``position`` numbers the rows in the order they commit: writers
take turns from their outbox write to their commit (``Backend.take_turns``), so a reader that
has seen position *p* never meets a smaller one later.

Written in bulk beside the bulk store write: a chunk of new records is one bulk insert made
from the chunk (the backend's fastest load); a merged chunk is two ``INSERT … SELECT`` from
its stage (records new to the table, records whose values differ), run before the upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.backends import backend_for
from lienthong.dataset.keys import key_expr, key_sql
from lienthong.db import Base, UTCDateTime
from lienthong.standards.schema import StandardSpec

INSERT = "insert"
UPDATE = "update"
DELETE = "delete"  # no store write deletes a record yet; kept for the consumers' contract
FIELD_SEPARATOR = ","
TURNS = "store.outbox"


class OutboxEvent(Base):
    """A change of one store record, numbered in commit order (``position``)."""

    __tablename__ = "store_outbox"
    __table_args__ = (Index("ix_store_outbox_dataset_position", "dataset", "position"),)

    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    record_key: Mapped[str] = mapped_column(Text)
    area: Mapped[str | None] = mapped_column(Text)
    dataset: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(8))
    fields: Mapped[str] = mapped_column(Text)  # comma-separated names of the changed fields
    batch_id: Mapped[str | None] = mapped_column(String(36))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


TABLE: Table = OutboxEvent.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Change:
    """An outbox row as the reader sees it."""

    position: int
    dataset: str
    version: int
    record_key: str
    operation: str
    fields: tuple[str, ...]
    area: str | None
    changed_at: datetime


def _others(spec: StandardSpec) -> list[str]:
    return [f for f in spec.field_names if f not in spec.primary_key]


def _constants(
    spec: StandardSpec, operation: str, fields: str, batch_id: str, when: str
) -> dict[str, str]:
    return {
        "dataset": spec.name,
        "version": str(spec.version),
        "operation": operation,
        "fields": fields,
        "batch_id": batch_id,
        "changed_at": when,
    }


def record_new(
    conn: Connection, *, spec: StandardSpec, frame: pl.DataFrame, batch_id: str, when: str
) -> None:
    """Outbox rows for a chunk of records new to the table (every field is new), in bulk.
    ``when``: the load time as the engine stores it (``store.load.bulk_payload``)."""
    if frame.height == 0:
        return
    backend = backend_for(conn)
    backend.take_turns(conn, TURNS)
    rows = frame.select(
        key_expr([pl.col(k) for k in spec.primary_key]).alias("record_key"),
        pl.col(spec.area_field).cast(pl.Utf8).alias("area"),
    )
    every = FIELD_SEPARATOR.join(spec.field_names)
    bulk = backend.bulk_rows(
        rows,
        fields=["record_key", "area"],
        key=["record_key"],
        constants=_constants(spec, INSERT, every, batch_id, when),
    )
    backend.bulk_write(conn, TABLE, bulk)


def record_merge(
    conn: Connection,
    *,
    spec: StandardSpec,
    current: Table,
    stage: Table,
    changed: Any,
    batch_id: str,
    now: datetime,
) -> None:
    """Outbox rows for a staged chunk about to be merged into ``current``: records the table
    does not hold (inserts) and records whose values differ (updates, naming those fields).
    ``changed``: the condition that a joined stored row differs from its staged row."""
    backend_for(conn).take_turns(conn, TURNS)
    types = [spec.field(k).type for k in spec.primary_key]
    on_key = and_(*[current.c[k] == stage.c[k] for k in spec.primary_key])
    columns = [c.name for c in TABLE.columns if c.name != "position"]

    def constant_columns(operation: str, fields: Any) -> list[Any]:
        return [
            literal(spec.name),
            literal(spec.version),
            literal(operation),
            fields,
            literal(batch_id),
            literal(now, UTCDateTime()),
        ]

    new = (
        select(
            key_sql([stage.c[k] for k in spec.primary_key], types),
            stage.c[spec.area_field],
            *constant_columns(INSERT, literal(FIELD_SEPARATOR.join(spec.field_names))),
        )
        .where(~exists().where(on_key))
        .order_by(*[stage.c[k] for k in spec.primary_key])
    )
    conn.execute(TABLE.insert().from_select(columns, new))
    others = _others(spec)
    if not others:
        return
    names = func.rtrim(
        _concat(
            [
                func.coalesce(
                    _when_differs(current.c[f], stage.c[f], f + FIELD_SEPARATOR), literal("")
                )
                for f in others
            ]
        ),
        literal(FIELD_SEPARATOR),
    )
    differing = (
        select(
            key_sql([stage.c[k] for k in spec.primary_key], types),
            stage.c[spec.area_field],
            *constant_columns(UPDATE, names),
        )
        .select_from(current.join(stage, on_key))
        .where(changed)
        .order_by(*[stage.c[k] for k in spec.primary_key])
    )
    conn.execute(TABLE.insert().from_select(columns, differing))


def _when_differs(old: Any, new: Any, text: str) -> Any:
    return case((old.is_distinct_from(new), literal(text)), else_=literal(""))


def _concat(parts: Sequence[Any]) -> Any:
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def read_changes(
    session: Session, *, dataset: str, after: int, limit: int, through: int | None = None
) -> list[Change]:
    """The dataset's changes after position ``after`` (at most ``through``), in order."""
    # Core rows, not ORM objects: a delivery batch reads hundreds, and identity-mapping them
    # costs more than the query.
    stmt = (
        select(TABLE)
        .where(TABLE.c.dataset == dataset, TABLE.c.position > after)
        .order_by(TABLE.c.position)
        .limit(limit)
    )
    if through is not None:
        stmt = stmt.where(TABLE.c.position <= through)
    return [
        Change(
            position=e.position,
            dataset=e.dataset,
            version=e.version,
            record_key=e.record_key,
            operation=e.operation,
            fields=tuple(f for f in e.fields.split(FIELD_SEPARATOR) if f),
            area=e.area,
            changed_at=e.changed_at,
        )
        for e in session.execute(stmt)
    ]


def last_position(session: Session, *, dataset: str | None = None) -> int:
    """The highest position written (of ``dataset``), 0 when none."""
    stmt = select(func.max(OutboxEvent.position))
    if dataset is not None:
        stmt = stmt.where(OutboxEvent.dataset == dataset)
    return int(session.scalar(stmt) or 0)
