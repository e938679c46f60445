"""Rule enablement overrides and the positions (with learned state) of the background tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime


class SocRuleSetting(Base):
    """A rule switched on or off by the operator (a rule without a row runs)."""

    __tablename__ = "soc_rule_settings"

    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SocPosition(Base):
    """How far a background task has read the audit log (``rules``: the last entry whose
    detections the sink accepted; ``chain``: the last entry verified, with its hash), and the
    rules' learned baselines and novelty sets as JSON."""

    __tablename__ = "soc_positions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
