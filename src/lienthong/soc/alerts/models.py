"""Alert tables: alerts and the audit entries that raised them, the detections already counted
(so a replay counts nothing twice), suppression windows, notification targets and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow

SEQ = BigInteger().with_variant(Integer, "sqlite")


class Alert(Base):
    """Findings of one rule about one thing (its group key), while someone has not resolved
    them: open → acknowledged → resolved. A suppressed record keeps what a suppression window
    silenced."""

    __tablename__ = "soc_alerts"
    __table_args__ = (
        Index("ix_soc_alerts_status", "status", "id"),
        Index("ix_soc_alerts_rule", "rule_id", "group_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(128))
    rule_title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(16))  # open|acknowledged|resolved|suppressed
    # SHA-256 of what new findings join while the record is live; NULL once resolved, so the
    # unique index lets exactly one live record per rule and group (per suppression window).
    live_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    suppression_id: Mapped[int | None] = mapped_column(ForeignKey("soc_suppressions.id"))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    evidence_count: Mapped[int] = mapped_column(Integer, default=0)  # stored or not
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the latest finding's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledge_reason: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_reason: Mapped[str | None] = mapped_column(String(500))


class AlertEvidence(Base):
    """One audit entry that raised an alert (the first ``MAX_EVIDENCE`` of each alert)."""

    __tablename__ = "soc_alert_evidence"

    alert_id: Mapped[int] = mapped_column(ForeignKey("soc_alerts.id"), primary_key=True)
    audit_seq: Mapped[int] = mapped_column(SEQ, primary_key=True)


class CountedDetection(Base):
    """A detection already counted, by its fingerprint (rule, group key, audit entries)."""

    __tablename__ = "soc_alert_detections"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("soc_alerts.id"), index=True)


class Suppression(Base):
    """A window during which findings of a rule (or any rule) whose group key matches a
    pattern (or any) are kept on a suppressed record instead of raising an alert."""

    __tablename__ = "soc_suppressions"
    __table_args__ = (Index("ix_soc_suppressions_ends", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str | None] = mapped_column(String(128))
    group_pattern: Mapped[str | None] = mapped_column(String(512))  # fnmatch: * ? [..]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationTarget(Base):
    """Where new alerts are sent: a webhook (signed with ``secret``) or an e-mail address,
    for alerts at or above ``min_severity``."""

    __tablename__ = "soc_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # webhook|email
    url: Mapped[str | None] = mapped_column(String(2000))
    address: Mapped[str | None] = mapped_column(String(320))
    # The receiver verifies with it, so it is stored as given; never logged nor shown again.
    secret: Mapped[str | None] = mapped_column(String(100))
    min_severity: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One alert to one target: pending until delivered, or dead after the last retry."""

    __tablename__ = "soc_deliveries"
    __table_args__ = (Index("ix_soc_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("soc_targets.id"), index=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("soc_alerts.id"), index=True)
    msg_id: Mapped[str] = mapped_column(String(64), unique=True)  # the same on every retry
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
