"""Registry tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lienthong.db import Base, UTCDateTime, utcnow


class UnitVersion(Base):
    """A version of the administrative-unit code list, in force over a date range."""

    __tablename__ = "unit_versions"
    __table_args__ = ({"info": {"reference": True}},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    tiers: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(500))


class Unit(Base):
    """An administrative unit (*đơn vị hành chính*): province, district or commune."""

    __tablename__ = "units"
    __table_args__ = (
        Index("ix_units_version_parent", "version_id", "parent_code"),
        Index("ix_units_folded", "folded_name"),
        {"info": {"reference": True}},
    )

    version_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("unit_versions.id"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str] = mapped_column(String(250))
    name_en: Mapped[str | None] = mapped_column(String(200))
    unit_type: Mapped[str] = mapped_column(String(32))
    folded_name: Mapped[str] = mapped_column(String(250))


class UnitSuccession(Base):
    """One edge of the many-to-many old→new mapping between two code-list versions."""

    __tablename__ = "unit_successions"
    __table_args__ = (
        ForeignKeyConstraint(["from_version", "from_code"], ["units.version_id", "units.code"]),
        ForeignKeyConstraint(["to_version", "to_code"], ["units.version_id", "units.code"]),
        Index("ix_unit_successions_to", "to_version", "to_code"),
        {"info": {"reference": True}},
    )

    from_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    from_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    to_version: Mapped[str] = mapped_column(String(32), primary_key=True)
    to_code: Mapped[str] = mapped_column(String(16), primary_key=True)


class Organisation(Base):
    """A state body at one administrative level, bound to the unit it serves."""

    __tablename__ = "organisations"
    __table_args__ = (
        ForeignKeyConstraint(["unit_version", "unit_code"], ["units.version_id", "units.code"]),
        Index("ix_organisations_unit", "unit_version", "unit_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(35), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))
    unit_version: Mapped[str | None] = mapped_column(String(32))
    unit_code: Mapped[str | None] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    sector: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], lazy="joined", join_depth=1
    )


class InformationSystem(Base):
    """An information system run by one organisation; its code is unique within it."""

    __tablename__ = "systems"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Credential(Base):
    """A system's client credential; the secret is kept only as a hash."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    # tls_client_auth (RFC 8705): the certificate's subject DN (RFC 4514) or one of its
    # subject alternative names; such a credential has no secret (an empty hash).
    tls_client_name: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DatasetOwner(Base):
    """The organisation that owns a dataset (*chủ quản dữ liệu*): its data stewards decide
    the grants on it. ``four_eyes``: a second steward must approve (None: only when a grant
    includes sensitive fields)."""

    __tablename__ = "dataset_owners"

    dataset: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    four_eyes: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
