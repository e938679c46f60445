"""Subscriptions: a consumer system subscribes to a dataset's changes under an approved grant,
rewinds one (replay from a position), and lists and re-sends its dead letters.

Services flush, the faces commit. Every change to a subscription is audited.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.changes.models import NATS, WEBHOOK, DeadLetter, Subscription
from lienthong.changes.schemas import SubscriptionCreate
from lienthong.config import Settings
from lienthong.errors import Forbidden, NotFound, ValidationFailed
from lienthong.events import event
from lienthong.exchange.models import Grant
from lienthong.store.outbox import last_position
from lienthong.webhooks import new_secret

APPROVED = "approved"


def usable_grant(
    session: Session, *, system_id: int, dataset: str, purpose: str, today: date
) -> Grant:
    """The system's newest approved, unexpired grant on ``dataset`` that names ``purpose``."""
    grants = session.scalars(
        select(Grant)
        .where(Grant.system_id == system_id, Grant.dataset == dataset, Grant.status == APPROVED)
        .order_by(Grant.id.desc())
    ).all()
    live = [g for g in grants if g.expires_on >= today]
    if not live:
        raise Forbidden(f"no approved grant on {dataset}", code="no-grant")
    for grant in live:
        if purpose in grant.purposes:
            return grant
    raise Forbidden(f"purpose {purpose!r} is not granted", code="purpose-not-granted")


def _target(data: SubscriptionCreate) -> tuple[str, str | None, str | None]:
    if (data.webhook_url is None) == (data.nats_subject is None):
        raise ValidationFailed.on(
            "webhook_url", "subscription-target", "give either webhook_url or nats_subject"
        )
    if data.webhook_url is not None:
        parts = urlsplit(data.webhook_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValidationFailed.on(
                "webhook_url", "subscription-target", "webhook_url must be an http(s) URL"
            )
        return WEBHOOK, data.webhook_url, None
    return NATS, None, data.nats_subject


def subscribe(
    *,
    session: Session,
    settings: Settings,
    system_id: int,
    data: SubscriptionCreate,
    actor: dict[str, Any],
    today: date,
) -> tuple[Subscription, str | None]:
    """A new subscription and, for a webhook, its signing secret (returned this once)."""
    kind, url, subject = _target(data)
    grant = usable_grant(
        session, system_id=system_id, dataset=data.dataset, purpose=data.purpose, today=today
    )
    secret = new_secret() if kind == WEBHOOK else None
    start = data.from_position
    if start is None:
        start = last_position(session, dataset=data.dataset)
    sub = Subscription(
        uid=uuid.uuid4().hex,
        generation=0,
        system_id=system_id,
        grant_id=grant.id,
        dataset=data.dataset,
        purpose=data.purpose,
        kind=kind,
        url=url,
        secret=secret,
        subject=subject,
        position=start,
        attempts=0,
        status="active",
    )
    session.add(sub)
    session.flush()
    _audit(session, settings, "changes.subscribe", sub, actor)
    return sub, secret


def _audit(
    session: Session,
    settings: Settings,
    action: str,
    sub: Subscription,
    actor: dict[str, Any],
    **more: Any,
) -> None:
    detail = {
        "subscription": sub.id,
        "grant": sub.grant_id,
        "kind": sub.kind,
        "position": sub.position,
        **more,
    }
    record(
        session=session,
        settings=settings,
        entry=event(action, actor=actor, dataset=sub.dataset, purpose=sub.purpose, detail=detail),
    )


def get_subscription(
    *, session: Session, subscription_id: int, system_id: int | None
) -> Subscription:
    """The subscription; ``system_id``: only if it is that system's (else the same 404)."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or (system_id is not None and sub.system_id != system_id):
        raise NotFound(f"no subscription {subscription_id}", code="unknown-subscription")
    return sub


def list_subscriptions(*, session: Session, system_id: int | None) -> list[Subscription]:
    stmt = select(Subscription).order_by(Subscription.id)
    if system_id is not None:
        stmt = stmt.where(Subscription.system_id == system_id)
    return list(session.scalars(stmt))


def replay(
    *,
    session: Session,
    settings: Settings,
    sub: Subscription,
    from_position: int,
    actor: dict[str, Any],
) -> Subscription:
    """Deliver again every change from ``from_position`` on (retries start afresh)."""
    sub.position = from_position - 1
    sub.generation += 1  # new message ids: a stream's deduplication must not drop the replay
    sub.pending_through = None
    sub.attempts = 0
    sub.next_attempt_at = None
    sub.last_error = None
    session.flush()
    _audit(session, settings, "changes.replay", sub, actor, from_position=from_position)
    return sub


def dead_letters(*, session: Session, sub: Subscription) -> list[DeadLetter]:
    return list(
        session.scalars(
            select(DeadLetter).where(DeadLetter.subscription_id == sub.id).order_by(DeadLetter.id)
        )
    )


def replay_dead_letter(
    *,
    session: Session,
    settings: Settings,
    sub: Subscription,
    dead_letter_id: int,
    actor: dict[str, Any],
) -> DeadLetter:
    """Queue a dead letter to be sent again by the delivery worker (as it was, same id)."""
    letter = session.get(DeadLetter, dead_letter_id)
    if letter is None or letter.subscription_id != sub.id:
        raise NotFound(f"no dead letter {dead_letter_id}", code="unknown-dead-letter")
    letter.status = "replay"
    session.flush()
    _audit(session, settings, "changes.dead-letter.replay", sub, actor, dead_letter=letter.id)
    return letter
