"""The connection activity report: each system and each organisation never-connected, silent
or active. The registry's connection report (registry.report) counts organisations with a
system registered as connected; this one says which of them are actually calling."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.registry.models import Organisation
from lienthong.soc.connections.schemas import (
    ActivityReport,
    OrganisationActivity,
    StateCounts,
    SystemActivityRead,
)
from lienthong.soc.connections.service import State, SystemActivity, activities, scan


def organisation_state(states: list[State]) -> State:
    """Active if any system is; else silent if any was ever seen; else never-connected."""
    if State.active in states:
        return State.active
    if State.silent in states:
        return State.silent
    return State.never_connected


def system_read(a: SystemActivity) -> SystemActivityRead:
    return SystemActivityRead(
        organisation=a.organisation,
        system=a.system,
        name=a.name,
        state=a.state,
        last_seen_at=a.last_seen_at,
        last_heartbeat_at=a.last_heartbeat_at,
        expected_interval_seconds=a.expected_interval_seconds,
    )


def _counts(states: list[State]) -> StateCounts:
    c = Counter(states)
    return StateCounts(
        never_connected=c[State.never_connected], silent=c[State.silent], active=c[State.active]
    )


def activity_report(
    *,
    engine: Engine,
    settings: Settings,
    organisation: str | None = None,
    now: datetime | None = None,
) -> ActivityReport:
    """The report at ``now``, after catching up with the audit stream (scan). Every active
    organisation appears, those without a system as never-connected."""
    now = now or utcnow()
    scan(engine)
    with Session(engine) as session:
        found = activities(session=session, settings=settings, now=now, organisation=organisation)
        orgs = select(Organisation.code, Organisation.name).where(Organisation.active.is_(True))
        if organisation is not None:
            orgs = orgs.where(Organisation.code == organisation)
        names = {code: name for code, name in session.execute(orgs.order_by(Organisation.code))}
    by_org: dict[str, list[SystemActivity]] = {code: [] for code in names}
    for a in found:
        if a.organisation in by_org:
            by_org[a.organisation].append(a)
    rows = [
        OrganisationActivity(
            organisation=code,
            name=names[code],
            state=organisation_state([a.state for a in systems]),
            systems=[system_read(a) for a in systems],
        )
        for code, systems in by_org.items()
    ]
    return ActivityReport(
        at=now,
        default_interval_seconds=settings.soc_connection_interval_seconds,
        systems=_counts([a.state for systems in by_org.values() for a in systems]),
        organisations=_counts([r.state for r in rows]),
        by_organisation=rows,
    )
