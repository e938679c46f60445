"""Request and response models of the alert routes and commands."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_text(value: object) -> object:
    """A time as ISO 8601 text only: a bare number is not a time (Pydantic would read it as
    seconds since 1970)."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO.match(value)):
        return value
    raise ValueError("an ISO 8601 date-time with its zone, e.g. 2026-12-01T08:00:00+07:00")


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]

# Sigma's levels (lienthong.soc.detection.SEVERITIES), in order.
Severity = Literal["informational", "low", "medium", "high", "critical"]


class AlertStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"
    suppressed = "suppressed"  # kept by a suppression window; never notified


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AlertRead(BaseModel):
    id: int
    rule_id: str
    rule_title: str
    severity: str
    group_key: str
    status: AlertStatus
    suppression_id: int | None
    first_seen: datetime
    last_seen: datetime
    occurrences: int = Field(description="Findings counted (a replayed finding counts once)")
    evidence_count: int = Field(description="Audit entries that raised it (stored or not)")
    summary: dict[str, Any]
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledge_reason: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolve_reason: str | None


class AlertDetail(AlertRead):
    evidence: list[int] = Field(description="Audit entry seqs, oldest first (at most 1000)")


class AlertAction(Strict):
    reason: str = Field(min_length=1, max_length=500, description="Why (required)")


class SuppressionCreate(Strict):
    rule_id: str | None = Field(None, min_length=1, max_length=128)
    group_pattern: str | None = Field(
        None, min_length=1, max_length=512, description="fnmatch pattern: * ? [...]"
    )
    starts_at: IsoDatetime | None = Field(None, description="Default: now")
    ends_at: IsoDatetime
    reason: str = Field(min_length=1, max_length=500)


class SuppressionRead(BaseModel):
    id: int
    rule_id: str | None
    group_pattern: str | None
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    created_at: datetime


class TargetKind(StrEnum):
    webhook = "webhook"
    email = "email"


class TargetCreate(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    kind: TargetKind
    url: str | None = Field(None, max_length=2000)
    address: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    min_severity: Severity = "medium"
    enabled: StrictBool = True


class TargetUpdate(Strict):
    min_severity: Severity | None = None
    enabled: StrictBool | None = None


class TargetRead(BaseModel):
    id: int
    name: str
    kind: TargetKind
    url: str | None
    address: str | None
    min_severity: str
    enabled: bool
    created_by: str
    created_at: datetime
    pending: int = 0
    delivered: int = 0
    dead: int = 0


class TargetCreated(TargetRead):
    secret: str | None = Field(
        description="The webhook's signing secret (whsec_…): shown this once, never again"
    )


class DeliveryRead(BaseModel):
    id: int
    target_id: int
    alert_id: int
    msg_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
