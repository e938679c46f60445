"""Batches and the quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class Batch(Base):
    """One run of one input into one standard version; ``chunks_done`` makes it resumable.

    What the job needs to run is in columns (a pull's ``since``, ``watermark`` and the
    ``watermark_max`` it reached, whether it started on an empty store); ``report`` holds the
    rest of its :class:`~lienthong.ingest.schemas.IngestSummary` (findings, timings)."""

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
    # Then no key of this batch can be stored already: its chunks are plain inserts.
    started_on_empty_store: Mapped[bool] = mapped_column(Boolean, default=False)
    resumed_from_chunk: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    since: Mapped[str | None] = mapped_column(Text)
    watermark: Mapped[str | None] = mapped_column(String(100))
    watermark_max: Mapped[str | None] = mapped_column(Text)
    # A row's number in the source plus this is its row number as a spreadsheet shows it (1
    # for a CSV with a header row; a workbook's header may sit lower).
    sheet_row_offset: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def error_code(self) -> str | None:
        """A failed batch's failure code (:func:`lienthong.ingest.job.mark_failed`)."""
        code = (self.report or {}).get("error_code")
        return code if isinstance(code, str) else None

    @property
    def summary(self) -> dict[str, Any]:
        """The batch's report as an IngestSummary reads it: the counters with the findings."""
        return {
            **(self.report or {}),
            "standard": self.standard,
            "standard_version": self.standard_version,
            "source_name": self.source_name,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_loaded,
            "rows_invalid": self.rows_quarantined,
        }


# The entries a fingerprint is unique among (the partial index's condition, as SQL text: both
# engines must read it the same way in the index and in an insert's ON CONFLICT).
OPEN_ONLY = text("status = 'open'")


class QuarantineRow(Base):
    """A rejected row: its values as received (after mapping) and its findings.

    ``fingerprint`` is the entry's identity: the standard version, the source system and the
    row's values as the source sent them (:func:`lienthong.ingest.pipeline.fingerprint`). At
    most one open entry has a given fingerprint, so the same bad row sent again (the same file
    run twice) is counted, not quarantined twice. It is set when the entry is made and kept
    when a replay changes the values."""

    __tablename__ = "ingest_quarantine"
    __table_args__ = (
        UniqueConstraint("batch_id", "row"),
        Index(
            "uq_ingest_quarantine_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("ingest_batches.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    replayed_batch_id: Mapped[str | None] = mapped_column(String(36))
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # null: made before 0006
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
