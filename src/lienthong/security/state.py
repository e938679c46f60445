"""The per-request liveness check: one indexed primary-key lookup, no cache.

It reads the credential's revocation, its system's status (or its organisation's deactivation)
and the grants counter in a single statement, so a revoked credential, a suspended system, a
deactivated organisation or a changed grant is seen by every worker on the very next request
(measured in bench/exchange.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, case, select

from lienthong.claims import Claims
from lienthong.errors import Forbidden, Unauthorized
from lienthong.registry.models import Credential, InformationSystem, Organisation
from lienthong.registry.schemas import SystemStatus
from lienthong.security.models import Counter

credentials = Credential.__table__
systems = InformationSystem.__table__
organisations = Organisation.__table__
counters = Counter.__table__

_grants_version = select(counters.c.value).where(counters.c.name == "grants").scalar_subquery()


@dataclass(frozen=True)
class LiveState:
    grants_version: int


# Compiled once by the read path (exchange.hotpath); the session path executes it directly.
ORGANISATION_INACTIVE = "organisation-inactive"
# A deactivated organisation's systems are refused like suspended ones (in the status column).
_status = case(
    (organisations.c.active.is_(False), ORGANISATION_INACTIVE), else_=systems.c.status
).label("status")
LIVE_STATE = (
    select(credentials.c.revoked_at, _status, _grants_version.label("gv"))
    .join(systems, systems.c.id == credentials.c.system_id)
    .join(organisations, organisations.c.id == systems.c.organisation_id)
    .where(credentials.c.id == bindparam("cid"))
)


def judge(row: Any) -> LiveState:
    """Refuse a revoked credential, a suspended system or a deactivated organisation's system;
    else the grants counter.

    ``row`` is (revoked_at, status, grants counter) or None when the credential is gone.
    """
    if row is None or row[0] is not None:
        raise Unauthorized("the client credential is revoked", code="credential-revoked")
    if row[1] == SystemStatus.suspended.value:
        raise Forbidden("the system is suspended", code="system-suspended")
    if row[1] == ORGANISATION_INACTIVE:
        raise Forbidden("the system's organisation is deactivated", code=ORGANISATION_INACTIVE)
    return LiveState(grants_version=int(row[2] or 0))


def live_state(conn: Connection, claims: Claims) -> LiveState:
    return judge(conn.execute(LIVE_STATE, {"cid": claims.credential_id}).first())
