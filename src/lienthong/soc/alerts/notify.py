"""Notifications of new alerts: to webhooks signed by the Standard Webhooks specification
(:mod:`lienthong.webhooks`) and to e-mail addresses over SMTP, each a delivery retried with
backoff and dead-lettered after the last attempt.

A new alert is queued for its targets in the transaction that opens it (:func:`enqueue`);
:func:`deliver_due` (a job: it owns its transactions) claims the due deliveries, sends them
outside any transaction and records each outcome. No secret reaches a log.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.db import transaction, utcnow
from lienthong.errors import Conflict, NotFound, ValidationFailed
from lienthong.soc.alerts.audited import audited, by_whom
from lienthong.soc.alerts.models import Alert, AlertEvidence, Delivery, NotificationTarget
from lienthong.soc.alerts.schemas import TargetCreate, TargetUpdate
from lienthong.soc.detection import SEVERITIES
from lienthong.webhooks import Attempt, deliver, new_secret, next_attempt_at

log = logging.getLogger("lienthong.soc.alerts")
LEASE = timedelta(minutes=2)  # a claimed delivery is not claimed again before it runs out
EVIDENCE_SENT = 50  # audit seqs a message carries (the alert's page has them all)
SEVERITY_VI = {
    "informational": "thông tin",
    "low": "thấp",
    "medium": "trung bình",
    "high": "cao",
    "critical": "nghiêm trọng",
}


# -- targets ---------------------------------------------------------------------------------


def _where(target: NotificationTarget) -> str:
    """What the audit log keeps of a destination: a webhook's host, never its path or query
    (which may carry a token)."""
    if target.url:
        return urlsplit(target.url).netloc
    return target.address or ""


def create_target(
    *, session: Session, settings: Settings, data: TargetCreate, actor: dict[str, Any]
) -> NotificationTarget:
    """A webhook (with a new signing secret, returned on the target this once) or an e-mail
    address, for alerts at or above ``min_severity``."""
    webhook = data.kind.value == "webhook"
    url_ok = (
        data.url is not None
        and urlsplit(data.url).scheme in ("http", "https")
        and bool(urlsplit(data.url).netloc)
    )
    if (webhook and (not url_ok or data.address)) or (
        not webhook and (data.address is None or data.url)
    ):
        raise ValidationFailed.on(
            "url" if webhook else "address",
            "invalid-notification-target",
            "a webhook needs an http(s) URL, an e-mail target an address",
        )
    if session.scalar(select(NotificationTarget.id).where(NotificationTarget.name == data.name)):
        raise Conflict(f"a target named {data.name!r} exists", code="notification-target-exists")
    target = NotificationTarget(
        name=data.name,
        kind=data.kind.value,
        url=data.url if webhook else None,
        address=None if webhook else data.address,
        secret=new_secret() if webhook else None,
        min_severity=data.min_severity,
        enabled=data.enabled,
        created_by=by_whom(actor),
    )
    session.add(target)
    try:
        session.flush()
    except IntegrityError as exc:  # the same name created at the same moment
        raise Conflict(
            f"a target named {data.name!r} exists", code="notification-target-exists"
        ) from exc
    audited(
        session,
        settings,
        "soc.target-create",
        actor,
        target=target.id,
        name=target.name,
        kind=target.kind,
        destination=_where(target),
        min_severity=target.min_severity,
    )
    return target


def get_target(*, session: Session, target_id: int) -> NotificationTarget:
    target = session.get(NotificationTarget, target_id)
    if target is None:
        raise NotFound(f"no notification target {target_id}", code="unknown-notification-target")
    return target


def list_targets(*, session: Session) -> list[NotificationTarget]:
    return list(session.scalars(select(NotificationTarget).order_by(NotificationTarget.id)))


def delivery_counts(*, session: Session) -> dict[int, dict[str, int]]:
    """Per target: how many deliveries are pending, delivered, dead."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Delivery.target_id, Delivery.status, func.count()).group_by(
            Delivery.target_id, Delivery.status
        )
    )
    for target_id, status, n in rows:
        counts.setdefault(target_id, {})[status] = int(n)
    return counts


def update_target(
    *,
    session: Session,
    settings: Settings,
    target_id: int,
    data: TargetUpdate,
    actor: dict[str, Any],
) -> NotificationTarget:
    target = get_target(session=session, target_id=target_id)
    if data.min_severity is not None:
        target.min_severity = data.min_severity
    if data.enabled is not None:
        target.enabled = data.enabled
    session.flush()
    audited(
        session,
        settings,
        "soc.target-update",
        actor,
        target=target.id,
        fields=sorted(data.model_fields_set),
    )
    return target


def delete_target(
    *, session: Session, settings: Settings, target_id: int, actor: dict[str, Any]
) -> None:
    """Remove a target and its deliveries (pending ones are not sent)."""
    target = get_target(session=session, target_id=target_id)
    session.execute(delete(Delivery).where(Delivery.target_id == target.id))
    session.delete(target)
    session.flush()
    audited(session, settings, "soc.target-delete", actor, target=target_id, name=target.name)


def list_deliveries(
    *, session: Session, target_id: int | None = None, status: str | None = None, limit: int = 100
) -> list[Delivery]:
    stmt = select(Delivery)
    if target_id is not None:
        stmt = stmt.where(Delivery.target_id == target_id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    return list(session.scalars(stmt.order_by(Delivery.id.desc()).limit(limit)))


# -- queueing --------------------------------------------------------------------------------


def enqueue(*, session: Session, alerts: Sequence[Alert]) -> int:
    """Queue each new alert for every enabled target that wants its severity; how many."""
    if not alerts:
        return 0
    targets = list(session.scalars(select(NotificationTarget).where(NotificationTarget.enabled)))
    now = utcnow()
    queued = 0
    for alert in alerts:
        for target in targets:
            if SEVERITIES.index(alert.severity) < SEVERITIES.index(target.min_severity):
                continue
            session.add(
                Delivery(
                    target_id=target.id,
                    alert_id=alert.id,
                    msg_id=f"msg_alert{alert.id}_target{target.id}",
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                )
            )
            queued += 1
    session.flush()
    return queued


# -- messages --------------------------------------------------------------------------------


def payload(alert: Alert, evidence: list[int]) -> dict[str, Any]:
    """The webhook's body: Standard Webhooks' ``type``, ``timestamp`` and ``data``."""
    return {
        "type": "soc.alert.opened",
        "timestamp": utcnow().isoformat(),
        "data": {
            "id": alert.id,
            "rule_id": alert.rule_id,
            "rule_title": alert.rule_title,
            "severity": alert.severity,
            "group_key": alert.group_key,
            "status": alert.status,
            "first_seen": alert.first_seen.isoformat(),
            "last_seen": alert.last_seen.isoformat(),
            "occurrences": alert.occurrences,
            "summary": alert.summary,
            "evidence": evidence[:EVIDENCE_SENT],
            "links": {
                "api": f"/api/v1/soc/alerts/{alert.id}",
                "console": f"/console/alerts/{alert.id}",
            },
        },
    }


def mail(alert: Alert, evidence: list[int]) -> tuple[str, str]:
    """Subject and text of the alert e-mail: Vietnamese first, English below."""
    vi = SEVERITY_VI.get(alert.severity, alert.severity)
    subject = (
        f"[Lienthong] Cảnh báo an ninh mức {vi}: {alert.rule_title} "
        f"/ Security alert ({alert.severity}): {alert.rule_title}"
    )
    seqs = ", ".join(str(s) for s in evidence[:EVIDENCE_SENT]) or "—"
    body = (
        f"Cảnh báo an ninh số {alert.id} (mức {vi})\n"
        f"Quy tắc: {alert.rule_title} ({alert.rule_id})\n"
        f"Đối tượng: {alert.group_key}\n"
        f"Lần đầu: {alert.first_seen.isoformat()}; số lần: {alert.occurrences}\n"
        f"Bản ghi nhật ký kiểm toán: {seqs}\n"
        f"Xem và xử lý: /console/alerts/{alert.id}\n"
        "\n"
        "---\n"
        f"Security alert {alert.id} ({alert.severity})\n"
        f"Rule: {alert.rule_title} ({alert.rule_id})\n"
        f"About: {alert.group_key}\n"
        f"First seen: {alert.first_seen.isoformat()}; occurrences: {alert.occurrences}\n"
        f"Audit entries: {seqs}\n"
        f"Review and act: /console/alerts/{alert.id}\n"
    )
    return subject, body


def send_mail(settings: Settings, to: str, subject: str, body: str) -> Attempt:
    """Send one e-mail; never raises for the server's failure."""
    if not settings.smtp_host:
        return Attempt(ok=False, status=None, error="no SMTP server (LIENTHONG_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lienthong")
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        return Attempt(ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:200])
    return Attempt(ok=True, status=250, error=None)


# -- the delivery worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    msg_id: str
    attempts: int
    kind: str
    url: str | None
    address: str | None
    secret: str | None
    body: str
    subject: str
    text: str


def _claim(engine: Engine, now: datetime, limit: int) -> list[_Job]:
    """Take the due deliveries: each pushed past the lease by a conditional update, so a
    second worker running at the same time takes other ones."""
    jobs = []
    with transaction(engine) as session:
        due = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
            )
        )
        for d in due:
            taken = session.execute(
                update(Delivery)
                .where(Delivery.id == d.id, Delivery.next_attempt_at == d.next_attempt_at)
                .values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue
            target = session.get(NotificationTarget, d.target_id)
            alert = session.get(Alert, d.alert_id)
            assert target is not None and alert is not None
            evidence = list(
                session.scalars(
                    select(AlertEvidence.audit_seq)
                    .where(AlertEvidence.alert_id == alert.id)
                    .order_by(AlertEvidence.audit_seq)
                    .limit(EVIDENCE_SENT)
                )
            )
            subject, text = mail(alert, evidence)
            jobs.append(
                _Job(
                    d.id,
                    d.msg_id,
                    d.attempts,
                    target.kind,
                    target.url,
                    target.address,
                    target.secret,
                    json.dumps(payload(alert, evidence), ensure_ascii=False),
                    subject,
                    text,
                )
            )
    return jobs


def _send(job: _Job, client: httpx.Client, settings: Settings) -> Attempt:
    if job.kind == "webhook" and job.url and job.secret:
        return deliver(client, job.url, job.secret, job.msg_id, job.body)
    if job.kind == "email" and job.address:
        return send_mail(settings, job.address, job.subject, job.text)
    return Attempt(ok=False, status=None, error="the target has no destination")


def deliver_due(
    *,
    engine: Engine,
    settings: Settings,
    client: httpx.Client,
    now: datetime | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """Send what is due; counts of ``delivered``, ``retrying`` and ``dead``."""
    now = now or utcnow()
    counts = {"delivered": 0, "retrying": 0, "dead": 0}
    for job in _claim(engine, now, limit):
        attempt = _send(job, client, settings)
        made = job.attempts + 1
        with transaction(engine) as session:
            d = session.get(Delivery, job.delivery_id)
            if d is None:  # its target was deleted meanwhile
                continue
            d.attempts = made
            if attempt.ok:
                d.status, d.next_attempt_at, d.last_error = "delivered", None, None
                d.delivered_at = utcnow()
                counts["delivered"] += 1
            else:
                d.last_error = (attempt.error or f"status {attempt.status}")[:300]
                d.next_attempt_at = next_attempt_at(made, now)
                d.status = "pending" if d.next_attempt_at else "dead"
                counts["retrying" if d.next_attempt_at else "dead"] += 1
        log.info(
            "alert delivery %s (%s) attempt %d: %s",
            job.msg_id,
            job.kind,
            made,
            "delivered" if attempt.ok else f"failed, {attempt.status}",
        )
    return counts


def delivery_loop(
    engine: Engine, settings: Settings, stop: threading.Event, every: float = 5.0
) -> None:
    """The background worker: deliver what is due every ``every`` seconds until ``stop``."""
    with httpx.Client() as client:
        while not stop.is_set():
            try:
                deliver_due(engine=engine, settings=settings, client=client)
            except SQLAlchemyError:  # the database away for a moment: try at the next turn
                log.exception("alert deliveries: the database failed")
            stop.wait(every)


def start_delivery_worker(
    engine: Engine, settings: Settings, every: float = 5.0
) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`delivery_loop` in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=delivery_loop,
        args=(engine, settings, stop, every),
        name="soc-deliveries",
        daemon=True,
    )
    thread.start()
    return thread, stop
