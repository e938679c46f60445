"""Security tables: the counters that liveness checks read."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base


class Counter(Base):
    """Named counters bumped on change (``grants``) so that every worker sees it next request."""

    __tablename__ = "exchange_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
