"""Standards and shared code-list tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKeyConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class Standard(Base):
    """One (major) version of a data standard; ``document`` is its Table Schema JSON.

    ``breaking_reason`` is why a version with breaking changes was published anyway;
    ``retire_on`` the announced day from which the version is no longer served."""

    __tablename__ = "standards"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    breaking: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    breaking_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deprecated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retire_on: Mapped[date | None] = mapped_column(Date)  # not served from this day (UTC)


class CodeList(Base):
    """A version of a shared code list (*danh mục dùng chung*), in force over a date range."""

    __tablename__ = "codelists"
    __table_args__ = ({"info": {"reference": True}},)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))


class CodeListEntry(Base):
    __tablename__ = "codelist_entries"
    __table_args__ = (
        ForeignKeyConstraint(["name", "version"], ["codelists.name", "codelists.version"]),
        {"info": {"reference": True}},
    )

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str | None] = mapped_column(String(300))
