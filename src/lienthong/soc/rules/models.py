"""Rule enablement overrides and the positions (with learned state) of the background tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime
from lienthong.soc.positions import StreamPosition


class SocRuleSetting(Base):
    """A rule switched on or off by the operator (a rule without a row runs)."""

    __tablename__ = "soc_rule_settings"

    rule_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# One table of positions for every reader of the audit stream (rules, chain watch, SIEM
# forwarder, connection scanner).
SocPosition = StreamPosition
