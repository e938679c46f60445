"""DTI tables: indicator sets, declared values, department plans and their targets.

Values are kept as decimal text ("0.8253"): scoring works on exact decimals, as the
published tables do, on every engine.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lienthong.db import Base, UTCDateTime, utcnow
from lienthong.registry.models import Organisation


class IndicatorSetRow(Base):
    """One version of the DTI indicator tree (*bộ chỉ số*), e.g. ``922-2022``; never changed."""

    __tablename__ = "dti_sets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    decision: Mapped[str | None] = mapped_column(String(100))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Declaration(Base):
    """A value declared for one indicator and year by the responsible department, with evidence.

    Later declarations supersede earlier ones; all are kept."""

    __tablename__ = "dti_declarations"
    __table_args__ = (Index("ix_dti_declarations_set_year", "set_id", "year", "indicator", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("dti_sets.id"))
    year: Mapped[int] = mapped_column(Integer)
    indicator: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    evidence: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(1000))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Plan(Base):
    """A department's digital-transformation plan for one phase (*giai đoạn*), e.g. 2021–2025."""

    __tablename__ = "dti_plans"
    __table_args__ = (UniqueConstraint("organisation_id", "phase_start", "phase_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(300))
    phase_start: Mapped[int] = mapped_column(Integer)
    phase_end: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Target(Base):
    """A yearly target of a plan, measured on an indicator, a platform fact, or reported."""

    __tablename__ = "dti_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dti_plans.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(16))
    key: Mapped[str | None] = mapped_column(String(80))
    set_id: Mapped[str | None] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(24))
    due: Mapped[date] = mapped_column(Date)
    reported: Mapped[str | None] = mapped_column(String(24))
    evidence: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
