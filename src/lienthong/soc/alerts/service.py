"""Alerts people act on: findings of the detection rules become alerts, deduplicated and
grouped by rule and group key, kept on a suppressed record while a suppression window covers
them, and taken from open to acknowledged to resolved by a person who says why.

:func:`record` is the rules runner's sink (at-least-once: a finding delivered twice counts
once). Services flush; the caller owns the transaction (:func:`sink` is one such owner).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.db import transaction, utcnow
from lienthong.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from lienthong.paging import PageRequest, keyset_page
from lienthong.soc.alerts.audited import audited, by_whom
from lienthong.soc.alerts.models import Alert, AlertEvidence, CountedDetection, Suppression
from lienthong.soc.alerts.notify import enqueue
from lienthong.soc.alerts.schemas import AlertStatus, SuppressionCreate
from lienthong.soc.detection import SEVERITIES, Detection

MAX_EVIDENCE = 1000  # audit seqs stored per alert; the count goes on past it
LIVE = (AlertStatus.open.value, AlertStatus.acknowledged.value)


def _fingerprint(d: Detection) -> str:
    """What makes a finding the same finding when the runner delivers it again."""
    seqs = ",".join(str(s) for s in sorted(set(d.audit_seqs))) or d.observed_at.isoformat()
    return hashlib.sha256(f"{d.rule_id}\x1f{d.group_key}\x1f{seqs}".encode()).hexdigest()


def _live_key(rule_id: str, group_key: str, suppression: int | None) -> str:
    """New findings of one rule and group join the one live record (per suppression window)."""
    part = "" if suppression is None else str(suppression)
    return hashlib.sha256(f"{rule_id}\x1f{group_key}\x1f{part}".encode()).hexdigest()


def _check(detections: Sequence[Detection]) -> None:
    """Refuse a batch with a bad finding before anything is written."""
    details = []
    for i, d in enumerate(detections):
        if d.severity not in SEVERITIES:
            details.append(
                ErrorDetail(
                    f"{i}.severity", "validation-failed", f"not a Sigma level: {d.severity!r}"
                )
            )
        if not d.rule_id or len(d.rule_id) > 128:
            details.append(ErrorDetail(f"{i}.rule_id", "validation-failed", "1 to 128 characters"))
        if len(d.group_key) > 512 or len(d.rule_title) > 300:
            details.append(ErrorDetail(f"{i}.group_key", "validation-failed", "too long"))
        if d.observed_at.tzinfo is None:
            details.append(ErrorDetail(f"{i}.observed_at", "validation-failed", "naive datetime"))
    if details:
        raise ValidationFailed("detections are not valid", details=details)


def _windows(session: Session, detections: Sequence[Detection]) -> list[Suppression]:
    earliest = min(d.observed_at for d in detections)
    latest = max(d.observed_at for d in detections)
    found = session.scalars(
        select(Suppression)
        .where(Suppression.ends_at > earliest, Suppression.starts_at <= latest)
        .order_by(Suppression.id)
    )
    return list(found)


def _covering(windows: list[Suppression], d: Detection) -> Suppression | None:
    for w in windows:
        if not w.starts_at <= d.observed_at < w.ends_at:
            continue
        if w.rule_id is not None and w.rule_id != d.rule_id:
            continue
        if w.group_pattern is not None and not fnmatchcase(d.group_key, w.group_pattern):
            continue
        return w
    return None


def _graver(a: str, b: str) -> str:
    return a if SEVERITIES.index(a) >= SEVERITIES.index(b) else b


def record(*, session: Session, settings: Settings, detections: Sequence[Detection]) -> list[int]:
    """Store findings; the alert id of each, in order.

    A finding of a rule and group key with a live (open or acknowledged) alert is one more
    occurrence of it, its audit entries appended as evidence and its severity the graver of
    the two; otherwise it opens a new alert (a resolved alert's group raising again opens a
    new one), which is queued for every notification target that wants its severity. A
    finding a suppression window covers goes to that window's suppressed record instead:
    counted and kept, not notified. A finding already counted (the same rule, group key and
    audit entries) changes nothing, nor does one whose audit entries are all already
    evidence of its alert.
    """
    if not detections:
        return []
    _check(detections)
    windows = _windows(session, detections)
    opened: list[Alert] = []
    ids: list[int] = []
    for d in detections:
        fingerprint = _fingerprint(d)
        counted = session.get(CountedDetection, fingerprint)
        if counted is not None:
            ids.append(counted.alert_id)
            continue
        window = _covering(windows, d)
        live = _live_key(d.rule_id, d.group_key, window.id if window else None)
        alert = session.scalar(select(Alert).where(Alert.live_key == live))
        seqs = sorted(set(d.audit_seqs))
        if alert is None:
            alert = Alert(
                rule_id=d.rule_id,
                rule_title=d.rule_title,
                severity=d.severity,
                group_key=d.group_key,
                status=(AlertStatus.suppressed if window else AlertStatus.open).value,
                live_key=live,
                suppression_id=window.id if window else None,
                first_seen=d.observed_at,
                last_seen=d.observed_at,
                occurrences=1,
                evidence_count=0,
                summary=dict(d.summary),
            )
            session.add(alert)
            session.flush()
            if window is None:
                opened.append(alert)
        else:
            seqs = _new_evidence(session, alert.id, seqs)
            if d.audit_seqs and not seqs:  # every entry already counted: a replay
                session.add(CountedDetection(fingerprint=fingerprint, alert_id=alert.id))
                ids.append(alert.id)
                continue
            alert.occurrences += 1
            alert.first_seen = min(alert.first_seen, d.observed_at)
            alert.last_seen = max(alert.last_seen, d.observed_at)
            alert.severity = _graver(alert.severity, d.severity)
            alert.rule_title = d.rule_title
            alert.summary = dict(d.summary)
        # What is stored is min(count, MAX_EVIDENCE): no need to count the rows.
        room = max(0, MAX_EVIDENCE - alert.evidence_count)
        session.add_all(AlertEvidence(alert_id=alert.id, audit_seq=s) for s in seqs[:room])
        alert.evidence_count += len(seqs)
        session.add(CountedDetection(fingerprint=fingerprint, alert_id=alert.id))
        ids.append(alert.id)
    session.flush()
    for alert in opened:
        _audit_opened(session, settings, alert)
    enqueue(session=session, alerts=opened)
    return ids


MONITORING = {"kind": "platform", "via": "monitoring"}
EVIDENCE_NAMED = 20  # audit seqs an ``alert.open`` entry names; the alert keeps all


def _audit_opened(session: Session, settings: Settings, alert: Alert) -> None:
    """The opened alert as an audit entry, in the alert store's transaction: the alert is in
    the tamper-evident chain, and the SIEM export sends it as an alert event (soc-siem.md)."""
    seqs = session.scalars(
        select(AlertEvidence.audit_seq)
        .where(AlertEvidence.alert_id == alert.id)
        .order_by(AlertEvidence.audit_seq)
        .limit(EVIDENCE_NAMED)
    ).all()
    opened = {
        "id": alert.id,
        "status": alert.status,
        "rule_id": alert.rule_id,
        "rule_title": alert.rule_title,
        "severity": alert.severity,
        "group_key": alert.group_key,
        "observed_at": alert.first_seen.isoformat(),
        "audit_seqs": list(seqs),
        "evidence_count": alert.evidence_count,
        "summary": alert.summary,
    }
    audited(session, settings, "alert.open", MONITORING, alert=opened)


def _new_evidence(session: Session, alert_id: int, seqs: list[int]) -> list[int]:
    have: set[int] = set()
    for start in range(0, len(seqs), 500):
        chunk = seqs[start : start + 500]
        have.update(
            session.scalars(
                select(AlertEvidence.audit_seq).where(
                    AlertEvidence.alert_id == alert_id, AlertEvidence.audit_seq.in_(chunk)
                )
            )
        )
    return [s for s in seqs if s not in have]


def sink(engine: Engine, settings: Settings) -> Callable[[Sequence[Detection]], None]:
    """The rules runner's sink: each call records its findings in one transaction."""

    def store(detections: Sequence[Detection]) -> None:
        with transaction(engine) as session:
            record(session=session, settings=settings, detections=detections)

    return store


# -- reading ---------------------------------------------------------------------------------


def get_alert(*, session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}", code="unknown-alert")
    return alert


def evidence_of(*, session: Session, alert_id: int) -> list[int]:
    return list(
        session.scalars(
            select(AlertEvidence.audit_seq)
            .where(AlertEvidence.alert_id == alert_id)
            .order_by(AlertEvidence.audit_seq)
        )
    )


def list_alerts(
    *,
    session: Session,
    page: PageRequest,
    status: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
    since: datetime | None = None,
) -> tuple[list[Alert], str | None]:
    """Alerts newest first; ``severity`` is the least severity shown, ``since`` on last seen."""
    stmt = select(Alert)
    if status is not None:
        stmt = stmt.where(Alert.status == status)
    if severity is not None:
        stmt = stmt.where(Alert.severity.in_(SEVERITIES[SEVERITIES.index(severity) :]))
    if rule is not None:
        stmt = stmt.where(Alert.rule_id == rule)
    if since is not None:
        stmt = stmt.where(Alert.last_seen >= since)
    scope = ("soc-alerts", status, severity, rule, since.isoformat() if since else None)
    return keyset_page(session, stmt, keys=[Alert.id], page=page, scope=scope, descending=True)


# -- lifecycle -------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed.on("reason", "validation-failed", "a reason of 1 to 500 characters")
    return reason


def _live(*, session: Session, alert_id: int, allowed: Sequence[str], only: str) -> Alert:
    """The alert a step acts on, refused unless its status is ``allowed`` (``only`` says which)."""
    alert = get_alert(session=session, alert_id=alert_id)
    if alert.status not in allowed:
        raise Conflict(f"alert {alert_id} is {alert.status}: {only}", code="alert-transition")
    return alert


def _stepped(
    session: Session, settings: Settings, step: str, actor: dict[str, Any], alert: Alert, why: str
) -> Alert:
    """Write the step and audit it (action ``step``, reason ``why``) in the caller's
    transaction."""
    session.flush()
    audited(
        session,
        settings,
        step,
        actor,
        alert=alert.id,
        rule=alert.rule_id,
        group_key=alert.group_key,
        reason=why,
    )
    return alert


def acknowledge(
    *, session: Session, settings: Settings, alert_id: int, actor: dict[str, Any], reason: str
) -> Alert:
    """Someone is on it: only an open alert is acknowledged."""
    reason = _reason(reason)
    only = "only an open alert is acknowledged"
    alert = _live(session=session, alert_id=alert_id, allowed=(AlertStatus.open.value,), only=only)
    alert.status = AlertStatus.acknowledged.value
    alert.acknowledged_by, alert.acknowledged_at = by_whom(actor), utcnow()
    alert.acknowledge_reason = reason
    return _stepped(session, settings, "alert.acknowledge", actor, alert, reason)


def resolve(
    *, session: Session, settings: Settings, alert_id: int, actor: dict[str, Any], reason: str
) -> Alert:
    """Done with: an open or acknowledged alert; its group raising again opens a new alert."""
    reason = _reason(reason)
    only = "only an open or acknowledged alert is resolved"
    alert = _live(session=session, alert_id=alert_id, allowed=LIVE, only=only)
    alert.status = AlertStatus.resolved.value
    alert.live_key = None
    alert.resolved_by, alert.resolved_at, alert.resolve_reason = by_whom(actor), utcnow(), reason
    return _stepped(session, settings, "alert.resolve", actor, alert, reason)


# -- suppression windows ---------------------------------------------------------------------


def suppress(
    *, session: Session, settings: Settings, data: SuppressionCreate, actor: dict[str, Any]
) -> Suppression:
    """A window from ``starts_at`` (now) to ``ends_at`` for a rule and/or a group pattern."""
    starts = data.starts_at or utcnow()
    if data.ends_at <= starts or (data.rule_id is None and data.group_pattern is None):
        raise ValidationFailed.on(
            "ends_at",
            "invalid-suppression-window",
            "the window must end after it starts and name a rule or a group pattern",
        )
    window = Suppression(
        rule_id=data.rule_id,
        group_pattern=data.group_pattern,
        starts_at=starts,
        ends_at=data.ends_at,
        created_by=by_whom(actor),
        reason=data.reason,
    )
    session.add(window)
    session.flush()
    audited(
        session,
        settings,
        "alert.suppress",
        actor,
        suppression=window.id,
        rule=window.rule_id,
        group_pattern=window.group_pattern,
        starts_at=starts.isoformat(),
        ends_at=window.ends_at.isoformat(),
        reason=window.reason,
    )
    return window


def get_suppression(*, session: Session, suppression_id: int) -> Suppression:
    window = session.get(Suppression, suppression_id)
    if window is None:
        raise NotFound(f"no suppression window {suppression_id}", code="unknown-suppression")
    return window


def list_suppressions(
    *, session: Session, page: PageRequest, current: bool = False
) -> tuple[list[Suppression], str | None]:
    stmt = select(Suppression)
    if current:
        stmt = stmt.where(Suppression.ends_at > utcnow())
    return keyset_page(
        session,
        stmt,
        keys=[Suppression.id],
        page=page,
        scope=("soc-suppressions", current),
        descending=True,
    )


def end_suppression(
    *, session: Session, settings: Settings, suppression_id: int, actor: dict[str, Any]
) -> Suppression:
    """End a window now (a window already over stays as it was, kept as the record)."""
    window = get_suppression(session=session, suppression_id=suppression_id)
    now = utcnow()
    if window.ends_at > now:
        window.ends_at = max(now, window.starts_at)
        session.flush()
        audited(
            session,
            settings,
            "alert.suppress-end",
            actor,
            suppression=window.id,
            ends_at=window.ends_at.isoformat(),
        )
    return window
