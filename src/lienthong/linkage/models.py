"""Linkage tables: master entities, their member records, scored pairs, review decisions and
trained models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class Master(Base):
    """A master person or business: the survived value of each field across its records."""

    __tablename__ = "linkage_masters"
    __table_args__ = (Index("ix_linkage_masters_kind", "kind", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    attributes: Mapped[str] = mapped_column(Text)  # JSON object, field → survived value
    member_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Link(Base):
    """One source record's membership of a master entity."""

    __tablename__ = "linkage_links"
    __table_args__ = (Index("ix_linkage_links_master", "master_id"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    master_id: Mapped[str] = mapped_column(String(40))
    match_weight: Mapped[float | None] = mapped_column(Float)
    match_kind: Mapped[str] = mapped_column(String(16))
    record_updated_at: Mapped[str | None] = mapped_column(String(40))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Pair(Base):
    """A scored pair worth keeping (at or above the review weight), left < right."""

    __tablename__ = "linkage_pairs"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    left_dataset: Mapped[str] = mapped_column(String(64), primary_key=True)
    left_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    right_dataset: Mapped[str] = mapped_column(String(64), primary_key=True)
    right_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    match_weight: Mapped[float] = mapped_column(Float)
    match_kind: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str | None] = mapped_column(Text)


class Review(Base):
    """A pair in the uncertain band, waiting for (or holding) an operator's decision."""

    __tablename__ = "linkage_reviews"
    __table_args__ = (
        UniqueConstraint("kind", "left_dataset", "left_key", "right_dataset", "right_key"),
        Index("ix_linkage_reviews_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    left_dataset: Mapped[str] = mapped_column(String(64))
    left_key: Mapped[str] = mapped_column(String(200))
    right_dataset: Mapped[str] = mapped_column(String(64))
    right_key: Mapped[str] = mapped_column(String(200))
    match_weight: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Model(Base):
    """A trained version of a kind's comparisons: m and u probabilities estimated from the
    store's records and the term frequencies of name parts counted in them (linkage.training).

    Parameters are never changed once stored: a run reads the newest active version of its kind
    and names it in its report, so runs under one version score every pair alike. ``in_use``
    marks the version the kind's stored pairs were scored with: a run under another version
    (or under the declared comparisons) rescores every pair rather than mixing the two."""

    __tablename__ = "linkage_models"
    __table_args__ = (Index("ix_linkage_models_kind", "kind", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    trained_by: Mapped[str] = mapped_column(String(200))
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    records: Mapped[int] = mapped_column(Integer)
    # JSON: comparison → level label → {"m", "u"} (trained or declared, with their source).
    parameters: Mapped[str] = mapped_column(Text)
    # JSON: comparison → name part → value → frequency.
    term_frequencies: Mapped[str] = mapped_column(Text)
    # JSON: how far each m and u moved from the declared prior, and which levels were trained.
    summary: Mapped[str] = mapped_column(Text)
