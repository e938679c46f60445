"""Delivering the outbox to subscriptions: at least once, in order, across a crash.

For each due subscription the worker reads the changes after its position (a batch), keeps
what the subscription's grant allows (the grant's communes; of the fields, those granted, with
the record's key only when every key field is granted), sends the batch, and only once the
receiver acknowledged it (a 2xx answer; JetStream's acknowledgement of every message) advances
the position and audits the delivery, in one transaction. A process killed between the
acknowledgement and that commit sends the batch again, under the same message id(s), so a
receiver that keeps the ids drops the repeat (at least once, never lost).

A refused batch is retried with the Standard Webhooks backoff (``next_attempt_at``) and the
same batch (``pending_through``), then dead-lettered; the subscription moves on. A suspended
grant pauses the subscription where it is; a revoked or expired one stops it.

Reading and sending happen outside any write transaction: SQLite would refuse to upgrade a
read transaction that an ingest committed after (and a network wait must not hold a lock).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from lienthong.audit.service import audit_keys, hashes, record
from lienthong.changes.models import NATS, DeadLetter, Subscription
from lienthong.changes.nats import NatsLink
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.events import event
from lienthong.exchange.models import Grant
from lienthong.exchange.store_link import PERSON_RULES
from lienthong.registry.models import InformationSystem
from lienthong.store.outbox import Change, read_changes
from lienthong.store.service import dataset_info, get_records
from lienthong.webhooks import MAX_RESPONSE_TEXT, Attempt, deliver, next_attempt_at

BATCH = 500
Retry = Callable[[int, datetime], datetime | None]


@dataclass
class Outcome:
    """What one pass of the worker did."""

    batches: int = 0
    events: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0  # changes the grant hides (advanced past, never sent)

    def add(self, other: Outcome) -> None:
        """Count ``other``'s work in this one (a pass's, a run's totals)."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class Batch:
    """What is sent for one subscription: the events the grant shows, and what they cover."""

    subscription: int
    first: int  # the first outbox position the batch covers
    through: int  # the last one
    message: str
    payload: dict[str, Any]
    keys: list[str]
    subjects: list[str]
    fields: list[str]
    dataset: str
    purpose: str
    actor: dict[str, Any]
    generation: int = 0

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.payload["events"])


@dataclass
class Senders:
    """The ways out: one HTTP client for webhooks, one NATS link (made on first use)."""

    settings: Settings
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    _nats: NatsLink | None = None

    def nats(self) -> NatsLink:
        if self._nats is None:
            self._nats = NatsLink(self.settings.nats_url)
        return self._nats

    def send(self, sub: Subscription, batch: Batch) -> Attempt:
        if sub.kind == NATS:
            assert sub.subject is not None
            messages = [
                (f"{sub.uid}.{batch.generation}.{e['position']}", _json(_single(batch, e)))
                for e in batch.events
            ]
            return self.nats().publish(sub.subject, [(m, b.encode()) for m, b in messages])
        assert sub.url is not None and sub.secret is not None
        return deliver(self.http, sub.url, sub.secret, batch.message, _json(batch.payload))

    def close(self) -> None:
        self.http.close()
        if self._nats is not None:
            self._nats.close()


def _json(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def _single(batch: Batch, item: dict[str, Any]) -> dict[str, Any]:
    """One event as a JetStream message: a stream carries one message per change."""
    return {k: v for k, v in batch.payload.items() if k != "events"} | {"event": item}


def due(session: Session, now: datetime) -> list[int]:
    """Active subscriptions whose next attempt is due (or that never failed)."""
    stmt = (
        select(Subscription.id)
        .where(Subscription.status == "active")
        .where(or_(Subscription.next_attempt_at.is_(None), Subscription.next_attempt_at <= now))
        .order_by(Subscription.id)
    )
    return list(session.scalars(stmt))


def _grant_state(grant: Grant | None, today: date) -> str:
    if grant is None or grant.status in {"revoked", "rejected"} or grant.expires_on < today:
        return "stopped"
    return "active" if grant.status == "approved" else "paused"


def _visible(change: Change, grant: Grant) -> bool:
    return change.version == grant.version and change.area in set(grant.communes)


def prepare(session: Session, sub: Subscription, *, limit: int = BATCH) -> Batch | None:
    """The next batch for ``sub`` (None: nothing new). Its events may be empty: every change
    it covers is hidden by the grant, and the position moves on without sending."""
    changes = read_changes(
        session,
        dataset=sub.dataset,
        after=sub.position,
        limit=limit,
        through=sub.pending_through,
    )
    if not changes:
        return None
    grant = session.get(Grant, sub.grant_id)
    assert grant is not None
    through = sub.pending_through or changes[-1].position
    shown = [c for c in changes if _visible(c, grant)]
    info = dataset_info(session=session, dataset=sub.dataset, version=grant.version)
    granted = [f for f in grant.fields if f in {x.name for x in info.fields}]
    key_granted = all(k in granted for k in info.key_fields)
    people = [f.name for f in info.fields if f.identifier in PERSON_RULES]
    current = {
        r["_key"]: r
        for r in get_records(
            session=session,
            dataset=sub.dataset,
            keys=[c.record_key for c in shown],
            version=grant.version,
        )
    }
    events: list[dict[str, Any]] = []
    keys: list[str] = []
    subjects: set[str] = set()
    for change in shown:
        changed = [f for f in change.fields if f in granted]
        if not changed:
            continue  # nothing it may see changed
        row = current.get(change.record_key)
        values = None if row is None else {f: row.get(f) for f in granted}
        item: dict[str, Any] = {
            "position": change.position,
            "operation": change.operation,
            "changed": changed,
            "record": values,
            "changed_at": change.changed_at.isoformat(),
        }
        if key_granted:
            item["key"] = change.record_key
        events.append(item)
        keys.append(change.record_key)
        if row is not None:
            subjects.update(str(row[f]) for f in people if row.get(f))
    system = session.get(InformationSystem, sub.system_id)
    assert system is not None
    first = sub.position + 1
    message = f"msg_{sub.uid}_{sub.generation}_{first}_{through}"
    payload = {
        "type": "lienthong.changes",
        "subscription": sub.id,
        "dataset": sub.dataset,
        "version": grant.version,
        "first_position": first,
        "last_position": through,
        "events": events,
    }
    return Batch(
        subscription=sub.id,
        first=first,
        through=through,
        message=message,
        payload=payload,
        keys=keys,
        subjects=sorted(subjects),
        fields=granted,
        dataset=sub.dataset,
        purpose=sub.purpose,
        actor={
            "kind": "system",
            "organisation": system.organisation.code,
            "system": system.code,
            "via": "changes",
        },
        generation=sub.generation,
    )


def audit_delivery(
    session: Session, settings: Settings, batch: Batch, *, kind: str, replayed: int | None = None
) -> None:
    """One audit entry per delivered batch, as a read: consumer, dataset, purpose, fields,
    hashed record keys and hashed personal IDs of the people concerned."""
    keys = audit_keys(settings)
    record(
        session=session,
        settings=settings,
        entry=event(
            "changes.deliver",
            actor=batch.actor,
            dataset=batch.dataset,
            count=len(batch.payload["events"]),
            fields=batch.fields,
            purpose=batch.purpose,
            keys=hashes(keys, batch.keys),
            subjects=hashes(keys, batch.subjects) or None,
            detail={
                "subscription": batch.subscription,
                "kind": kind,
                "first_position": batch.first,
                "last_position": batch.through,
                "message": batch.message,
                "dead_letter": replayed,
            },
        ),
    )


def deliver_one(
    engine: Engine,
    settings: Settings,
    senders: Senders,
    subscription_id: int,
    *,
    now: datetime | None = None,
    retry: Retry = next_attempt_at,
    limit: int = BATCH,
) -> Outcome:
    """Send ``subscription_id``'s next batch and record the outcome."""
    out = Outcome()
    today = (now or utcnow()).date()
    with Session(engine) as session:
        sub = session.get(Subscription, subscription_id)
        if sub is None or sub.status != "active":
            return out
        grant = session.get(Grant, sub.grant_id)
        state = _grant_state(grant, today)
        if state == "paused":
            return out
        batch = None if state == "stopped" else prepare(session, sub, limit=limit)
        position, generation = sub.position, sub.generation
        kind = sub.kind
        attempt = None
        if batch is not None and batch.payload["events"]:
            session.expunge(sub)
            attempt = senders.send(sub, batch)
    with Session(engine) as session, session.begin():
        sub = session.get(Subscription, subscription_id)
        if sub is None or sub.position != position or sub.generation != generation:
            return out  # replayed meanwhile: the replay decides what is sent next
        if state == "stopped":
            sub.status = "stopped"
            return out
        if batch is None:
            return out
        at = now or utcnow()
        if attempt is None or attempt.ok:
            sub.position = batch.through
            sub.pending_through = None
            sub.attempts = 0
            sub.next_attempt_at = None
            sub.last_error = None
            if attempt is None:
                out.skipped += batch.through - batch.first + 1
                return out
            audit_delivery(session, settings, batch, kind=kind)
            out.batches += 1
            out.events += len(batch.payload["events"])
            return out
        sub.attempts += 1
        sub.last_error = _why(attempt)
        later = retry(sub.attempts, at)
        out.failed += 1
        if later is not None:
            sub.pending_through = batch.through
            sub.next_attempt_at = later
            return out
        session.add(
            DeadLetter(
                subscription_id=sub.id,
                first_position=batch.first,
                last_position=batch.through,
                events=len(batch.payload["events"]),
                payload=batch.payload,
                error=sub.last_error,
                status="dead",
                message=batch.message,
            )
        )
        sub.position = batch.through
        sub.pending_through = None
        sub.attempts = 0
        sub.next_attempt_at = None
        out.dead += 1
        return out


def _why(attempt: Attempt) -> str:
    status = "no answer" if attempt.status is None else f"HTTP {attempt.status}"
    return f"{status}: {attempt.error or ''}"[:MAX_RESPONSE_TEXT]


def replay_dead_letters(engine: Engine, settings: Settings, senders: Senders) -> Outcome:
    """Send again the dead letters queued for it (as they were, under the same message id)."""
    out = Outcome()
    with Session(engine) as session:
        queued = list(
            session.scalars(
                select(DeadLetter).where(DeadLetter.status == "replay").order_by(DeadLetter.id)
            )
        )
        work = []
        for letter in queued:
            sub = session.get(Subscription, letter.subscription_id)
            assert sub is not None
            grant = session.get(Grant, sub.grant_id)
            if _grant_state(grant, utcnow().date()) != "active":
                continue  # a dead letter is sent only under a grant in force
            batch = _letter_batch(session, sub, letter)
            session.expunge(sub)
            work.append((letter.id, sub, batch))
    for letter_id, sub, batch in work:
        attempt = senders.send(sub, batch)
        with Session(engine) as session, session.begin():
            sent = session.get(DeadLetter, letter_id)
            assert sent is not None
            if attempt.ok:
                sent.status = "replayed"
                sent.replayed_at = utcnow()
                audit_delivery(session, settings, batch, kind=sub.kind, replayed=letter_id)
                out.batches += 1
                out.events += sent.events
            else:
                sent.status = "dead"
                sent.error = _why(attempt)
                out.failed += 1
    return out


def _letter_batch(session: Session, sub: Subscription, letter: DeadLetter) -> Batch:
    system = session.get(InformationSystem, sub.system_id)
    assert system is not None
    events: Iterable[dict[str, Any]] = letter.payload.get("events", [])
    grant = session.get(Grant, sub.grant_id)
    assert grant is not None
    return Batch(
        subscription=sub.id,
        first=letter.first_position,
        through=letter.last_position,
        message=letter.message,
        payload=letter.payload,
        keys=[str(e["key"]) for e in events if "key" in e],
        subjects=[],
        fields=list(grant.fields),
        dataset=sub.dataset,
        purpose=sub.purpose,
        actor={
            "kind": "system",
            "organisation": system.organisation.code,
            "system": system.code,
            "via": "changes",
        },
        generation=sub.generation,
    )


def deliver_due(
    engine: Engine,
    settings: Settings,
    senders: Senders,
    *,
    now: datetime | None = None,
    retry: Retry = next_attempt_at,
    limit: int = BATCH,
) -> Outcome:
    """One pass: every due subscription's next batch, then the dead letters queued to resend."""
    total = Outcome()
    with Session(engine) as session:
        ids = due(session, now or utcnow())
    for sub_id in ids:
        total.add(deliver_one(engine, settings, senders, sub_id, now=now, retry=retry, limit=limit))
    total.add(replay_dead_letters(engine, settings, senders))
    return total
