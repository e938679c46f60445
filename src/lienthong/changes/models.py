"""Subscriptions of consumer systems to a dataset's changes, and the dead-letter queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow

WEBHOOK = "webhook"
NATS = "nats"


class Subscription(Base):
    """A consumer system's subscription to the changes of one dataset, under one grant.

    ``position``: the last outbox position the receiver acknowledged (advanced only after it
    did). ``pending_through``: the last position of the batch being retried, so a retry sends
    the same batch under the same message id. ``secret``: the Standard Webhooks signing
    secret, kept as given to the receiver (it must sign with it), shown once."""

    __tablename__ = "change_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Names its messages: unique across databases, so a stream's deduplication never drops a
    # message of another subscription that happens to have the same id.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)  # bumped by each replay
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("exchange_grants.id"), index=True)
    dataset: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    pending_through: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadLetter(Base):
    """A batch of events the receiver refused through every retry: kept to be listed and sent
    again (``replay``) once the receiver is mended."""

    __tablename__ = "change_dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("change_subscriptions.id"), index=True)
    first_position: Mapped[int] = mapped_column(BigInteger)
    last_position: Mapped[int] = mapped_column(BigInteger)
    events: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="dead")  # dead, replay, replayed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text)  # the message id it was sent under
