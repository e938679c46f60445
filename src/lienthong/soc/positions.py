"""Where each reader of the audit stream has got to (the SIEM forwarder of one target, the
connection scanner), so that it carries on after the last entry it finished with."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Connection, Integer, String, Table, Text, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow

SEQ = BigInteger().with_variant(Integer, "sqlite")


class StreamPosition(Base):
    """The last audit entry the reader ``name`` has finished with; the rules keep the chain
    watch's last verified hash and their learned baselines (JSON ``state``) here too."""

    __tablename__ = "soc_positions"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    seq: Mapped[int] = mapped_column(SEQ, default=0)
    hash: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


table: Table = cast(Table, StreamPosition.__table__)


def position(conn: Connection, name: str) -> int:
    """The reader's position (0: it has read nothing)."""
    found = conn.execute(select(table.c.seq).where(table.c.name == name)).scalar()
    return int(found or 0)


def advance(conn: Connection, name: str, seq: int) -> None:
    """Record that the reader has finished with every entry up to ``seq``."""
    now = utcnow()
    changed = conn.execute(
        update(table).where(table.c.name == name).values(seq=seq, updated_at=now)
    ).rowcount
    if not changed:
        conn.execute(insert(table).values(name=name, seq=seq, updated_at=now))
