"""Change-event request and response models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lienthong.exchange.schemas import CODE_PATTERN, Strict

SUBJECT_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"  # a NATS subject without wildcards


class SubscriptionCreate(Strict):
    dataset: str = Field(min_length=1, max_length=64, pattern=CODE_PATTERN)
    purpose: str = Field(
        min_length=1,
        max_length=64,
        pattern=CODE_PATTERN,
        description="One of the grant's purposes: what the deliveries are audited under",
    )
    webhook_url: str | None = Field(
        None, max_length=2000, description="Standard Webhooks receiver (http or https)"
    )
    nats_subject: str | None = Field(
        None, max_length=200, pattern=SUBJECT_PATTERN, description="NATS JetStream subject"
    )
    from_position: int | None = Field(
        None,
        ge=0,
        le=2**62,
        description="Deliver changes after this outbox position (default: from now on)",
    )


class Replay(Strict):
    from_position: int = Field(ge=1, le=2**62, description="First position delivered again")


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    dataset: str
    purpose: str
    grant_id: int
    kind: str
    url: str | None
    subject: str | None
    position: int
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    status: str
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str | None = Field(
        None, description="The Standard Webhooks signing secret: shown this once, never again"
    )


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    first_position: int
    last_position: int
    events: int
    error: str | None
    status: str
    created_at: datetime
    replayed_at: datetime | None
    message: str
