"""Exchange tables: legal purposes and grants."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lienthong.db import Base, UTCDateTime, utcnow


class Purpose(Base):
    """A legal purpose a consumer may declare (shared code list)."""

    __tablename__ = "exchange_purposes"
    __table_args__ = ({"info": {"reference": True}},)

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Grant(Base):
    """Read access of one consumer system to one version of a dataset: fields, area, purposes,
    expiry."""

    __tablename__ = "exchange_grants"
    __table_args__ = (Index("ix_exchange_grants_system_dataset", "system_id", "dataset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"))
    dataset: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # the standard version the grant reads
    fields: Mapped[list[Any]] = mapped_column(JSON)
    units: Mapped[list[Any]] = mapped_column(JSON)
    communes: Mapped[list[Any]] = mapped_column(JSON)
    purposes: Mapped[list[Any]] = mapped_column(JSON)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    decided_by: Mapped[str | None] = mapped_column(String(35))
    reason: Mapped[str | None] = mapped_column(String(500))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by_person: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # While suspended: who suspended it ("person:ID" or "operator"), when and why.
    suspended_by: Mapped[str | None] = mapped_column(String(35))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    approvals: Mapped[list[GrantApproval]] = relationship(
        lazy="selectin", order_by="GrantApproval.id"
    )


class GrantApproval(Base):
    """One data steward's approval of a grant (two of them, by different persons, when the
    grant needs four eyes)."""

    __tablename__ = "exchange_grant_approvals"
    __table_args__ = (UniqueConstraint("grant_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("exchange_grants.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    person_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(35))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
