"""Findings as the rules runner hands them over, and the alerts' rows as stored."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.soc.alerts import record
from lienthong.soc.alerts.models import Alert, AlertEvidence, Delivery
from lienthong.soc.detection import Detection

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def finding(
    seqs: Sequence[int],
    *,
    rule: str = "credential-stuffing",
    group: str = "source=10.0.0.7",
    severity: str = "high",
    at: datetime = NOON,
    minutes: int = 0,
) -> Detection:
    return Detection(
        rule_id=rule,
        rule_title=f"Rule {rule}",
        severity=severity,
        group_key=group,
        observed_at=at + timedelta(minutes=minutes),
        audit_seqs=tuple(seqs),
        summary={"failures": len(seqs)},
    )


def store(engine: Engine, settings: Settings, *detections: Detection) -> list[int]:
    """Record as the runner's sink does: one transaction."""
    with transaction(engine) as session:
        return record(session=session, settings=settings, detections=detections)


def alert(engine: Engine, alert_id: int) -> dict[str, Any]:
    with transaction(engine) as session:
        found = session.get(Alert, alert_id)
        assert found is not None
        row = {c.name: getattr(found, c.name) for c in Alert.__table__.columns}
        row["evidence"] = list(
            session.scalars(
                select(AlertEvidence.audit_seq)
                .where(AlertEvidence.alert_id == alert_id)
                .order_by(AlertEvidence.audit_seq)
            )
        )
        return row


def deliveries(engine: Engine) -> list[dict[str, Any]]:
    with transaction(engine) as session:
        return [
            {c.name: getattr(d, c.name) for c in Delivery.__table__.columns}
            for d in session.scalars(select(Delivery).order_by(Delivery.id))
        ]
