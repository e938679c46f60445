"""Provider services: a registered system's own API, described by its OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class ProviderService(Base):
    """A service a provider system hosts itself (*dịch vụ của hệ thống cung cấp*): where it
    answers, the operations its OpenAPI document declares, and how long and how much of an
    answer the proxy waits for. ``revision`` grows with each registration of the name."""

    __tablename__ = "provider_services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"), index=True)
    base_url: Mapped[str] = mapped_column(String(500))
    health_path: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    document_version: Mapped[str] = mapped_column(String(64))
    operations: Mapped[list[Any]] = mapped_column(JSON)
    document: Mapped[str] = mapped_column(Text)
    timeout_seconds: Mapped[float] = mapped_column(Float)
    max_response_bytes: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
