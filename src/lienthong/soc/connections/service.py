"""Connection monitoring (the seed's "dedicated network" row): when each registered system was
last seen, whether it is active, silent or has never connected, and one detection per silence.

Last seen is read from the audit stream in batches (``scan``): every request a system makes is
already audited with the system as actor, so nothing is written on the request's path. A
provider system is seen when it answers: a proxied call or a health probe it answered
(``provider.call`` / ``provider.probe`` entries with ``reached``, providers domain). A
system's explicit heartbeat (``POST /api/v1/systems/me/heartbeat``) and its token requests
(``systems.last_seen_at``, registry) count too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.orm import Session

from lienthong.audit.models import AuditEntry
from lienthong.audit.service import record, record_change
from lienthong.backends import backend_for
from lienthong.claims import Claims
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import ValidationFailed
from lienthong.events import event
from lienthong.registry.models import InformationSystem, Organisation
from lienthong.registry.systems import get_system
from lienthong.soc import positions
from lienthong.soc.connections.models import SystemConnection
from lienthong.soc.detection import Detection

SCANNER = "connections"
RULE_ID = "connection-silent"
RULE_TITLE = "A connected system went silent"
MIN_INTERVAL, MAX_INTERVAL = 60, 31 * 86400
Sink = Callable[[Sequence[Detection]], None]
_conns: Table = cast(Table, SystemConnection.__table__)


class State(StrEnum):
    never_connected = "never-connected"
    silent = "silent"
    active = "active"


@dataclass(frozen=True)
class SystemActivity:
    organisation: str
    system: str
    name: str
    state: State
    last_seen_at: datetime | None
    last_heartbeat_at: datetime | None
    expected_interval_seconds: int
    last_seen_seq: int | None
    silence_reported_at: datetime | None
    system_id: int


def _row(conn: Connection, system_id: int) -> Any:
    return conn.execute(select(_conns).where(_conns.c.system_id == system_id)).first()


def _upsert(conn: Connection, system_id: int, **values: Any) -> None:
    if _row(conn, system_id) is None:
        conn.execute(insert(_conns).values(system_id=system_id, **values))
    else:
        conn.execute(update(_conns).where(_conns.c.system_id == system_id).values(**values))


def scan(engine: Engine, *, batch: int = 5000) -> int:
    """Read the audit entries after the scanner's position and record, per system, its latest
    audited request; the number of entries read. Serialised on the scanner's position row."""
    read = 0
    while True:
        with engine.begin() as conn:
            table = positions.table
            lock = backend_for(conn).lock_for_update(conn, table, table.c.name == SCANNER)
            if conn.execute(lock).first() is None:
                positions.advance(conn, SCANNER, 0)
            after = positions.position(conn, SCANNER)
            t = AuditEntry.__table__
            rows = conn.execute(
                select(t.c.seq, t.c.body).where(t.c.seq > after).order_by(t.c.seq).limit(batch)
            ).all()
            if not rows:
                return read
            _record_seen(conn, rows)
            positions.advance(conn, SCANNER, int(rows[-1].seq))
            read += len(rows)
            if len(rows) < batch:
                return read


def _record_seen(conn: Connection, rows: Sequence[Any]) -> None:
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for seq, body in rows:
        # Most entries are cheap to skip before parsing.
        if '"kind":"system"' not in body and '"reached":true' not in body:
            continue
        entry = json.loads(body)
        for who in _contacts(entry):
            key = (str(who.get("organisation")), str(who.get("system")))
            latest[key] = (int(seq), str(entry.get("at")))
    if not latest:
        return
    found = conn.execute(
        select(InformationSystem.id, Organisation.code, InformationSystem.code)
        .join(Organisation, Organisation.id == InformationSystem.organisation_id)
        .where(InformationSystem.code.in_({s for _, s in latest}))
    ).all()
    for system_id, org, code in found:
        if (org, code) not in latest:
            continue
        seq, at = latest[(org, code)]
        _upsert(conn, system_id, last_seen_at=datetime.fromisoformat(at), last_seen_seq=seq)


def _contacts(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The systems an entry shows in contact: its actor when a system, and the provider
    system of a proxied call or a health probe that the provider answered (``reached``)."""
    found = []
    actor = entry.get("actor")
    if isinstance(actor, Mapping) and actor.get("kind") == "system":
        found.append(actor)
    provider = entry.get("provider")
    if entry.get("reached") is True and isinstance(provider, Mapping):
        found.append(provider)
    return found


def heartbeat(*, session: Session, settings: Settings, claims: Claims, ip: str | None) -> datetime:
    """Record the calling system's heartbeat, audited (``system.heartbeat``) with it."""
    now = utcnow()
    seq = record(
        session=session,
        settings=settings,
        entry=event("system.heartbeat", actor=claims.actor(), ip=ip),
    )
    _upsert(
        session.connection(),
        claims.system_id,
        last_heartbeat_at=now,
        last_seen_at=now,
        last_seen_seq=seq,
    )
    return now


def set_interval(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    organisation: str,
    code: str,
    seconds: int | None,
) -> SystemActivity:
    """Set (None: clear, back to the default) the interval a system is expected to call within."""
    if seconds is not None and not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValidationFailed.on(
            "seconds", "invalid-expected-interval", "the interval must be 60 s to 31 days"
        )
    system = get_system(session=session, organisation=organisation, code=code)
    _upsert(session.connection(), system.id, expected_interval_seconds=seconds)
    record_change(
        session=session,
        settings=settings,
        action="system.expected-interval",
        target={"organisation": organisation, "system": code},
        changed=["expected_interval_seconds"],
        actor=actor,
    )
    [found] = activities(session=session, settings=settings, system_id=system.id)
    return found


def activities(
    *,
    session: Session,
    settings: Settings,
    now: datetime | None = None,
    organisation: str | None = None,
    system_id: int | None = None,
) -> list[SystemActivity]:
    """Every registered system's connection state at ``now``, by organisation and code."""
    now = now or utcnow()
    stmt = (
        select(
            InformationSystem.id,
            Organisation.code,
            InformationSystem.code,
            InformationSystem.name,
            InformationSystem.last_seen_at,
            _conns.c.last_seen_at,
            _conns.c.last_seen_seq,
            _conns.c.last_heartbeat_at,
            _conns.c.expected_interval_seconds,
            _conns.c.silence_reported_at,
        )
        .join(Organisation, Organisation.id == InformationSystem.organisation_id)
        .outerjoin(_conns, _conns.c.system_id == InformationSystem.id)
        .order_by(Organisation.code, InformationSystem.code)
    )
    if organisation is not None:
        stmt = stmt.where(Organisation.code == organisation)
    if system_id is not None:
        stmt = stmt.where(InformationSystem.id == system_id)
    found = []
    for sid, org, code, name, token_seen, seen, seq, beat, interval, reported in session.execute(
        stmt
    ):
        times = [t for t in (token_seen, seen, beat) if t is not None]
        last = max(times) if times else None
        every = interval or settings.soc_connection_interval_seconds
        if last is None:
            state = State.never_connected
        elif now - last > timedelta(seconds=every):
            state = State.silent
        else:
            state = State.active
        found.append(SystemActivity(org, code, name, state, last, beat, every, seq, reported, sid))
    return found


def check_silence(
    engine: Engine, *, settings: Settings, sink: Sink, now: datetime | None = None
) -> list[Detection]:
    """Emit one ``connection-silent`` detection for each system that has gone silent since it
    was last reported (a silence is reported once; a system heard from again is reported again
    at its next silence). The sink runs before the marks commit: a sink that fails leaves the
    silences to be reported at the next check."""
    now = now or utcnow()
    scan(engine)
    with Session(engine) as session, session.begin():
        found = activities(session=session, settings=settings, now=now)
        detections: list[Detection] = []
        conn = session.connection()
        for a in found:
            if a.state is not State.silent:
                if a.silence_reported_at is not None:
                    _upsert(conn, a.system_id, silence_reported_at=None)
                continue
            assert a.last_seen_at is not None
            if a.silence_reported_at is not None and a.silence_reported_at >= a.last_seen_at:
                continue  # this silence was reported
            detections.append(_detection(a, now))
            _upsert(conn, a.system_id, silence_reported_at=now)
        if detections:
            sink(detections)
    return detections


def _detection(a: SystemActivity, now: datetime) -> Detection:
    assert a.last_seen_at is not None
    return Detection(
        rule_id=RULE_ID,
        rule_title=RULE_TITLE,
        severity="medium",
        group_key=f"system={a.organisation}/{a.system}",
        observed_at=now,
        audit_seqs=(a.last_seen_seq,) if a.last_seen_seq is not None else (),
        summary={
            "organisation": a.organisation,
            "system": a.system,
            "last_seen_at": a.last_seen_at.isoformat(),
            "expected_interval_seconds": a.expected_interval_seconds,
            "silent_for_seconds": int((now - a.last_seen_at).total_seconds()),
        },
    )
