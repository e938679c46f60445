"""Batches and the quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class Batch(Base):
    """One run of one input into one standard version; ``chunks_done`` makes it resumable."""

    __tablename__ = "ingest_batches"
    __table_args__ = (Index("ix_ingest_batches_resume", "checksum", "standard", "source_system"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    standard: Mapped[str] = mapped_column(String(40))
    standard_version: Mapped[int] = mapped_column(Integer)
    source_system: Mapped[str] = mapped_column(String(120))
    source_name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(16))
    checksum: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="running")
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    replay_of: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuarantineRow(Base):
    """A rejected row: its values as received (after mapping) and its findings."""

    __tablename__ = "ingest_quarantine"
    __table_args__ = (UniqueConstraint("batch_id", "row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    replayed_batch_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
