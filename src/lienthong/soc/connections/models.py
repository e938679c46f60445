"""Connection monitoring: what the platform knows of each system's contact with it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime
from lienthong.soc.positions import SEQ


class SystemConnection(Base):
    """One registered system's contact: when it was last seen (its latest audited request,
    read from the audit stream in batches, never written on the request's own path), its last
    explicit heartbeat, the interval within which it is expected to call (None: the setting's
    default), and the silence already reported (so a silence raises one detection)."""

    __tablename__ = "soc_system_connections"

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"), primary_key=True)
    expected_interval_seconds: Mapped[int | None] = mapped_column(Integer)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_seq: Mapped[int | None] = mapped_column(SEQ)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    silence_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
