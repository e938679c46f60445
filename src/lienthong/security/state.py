"""The per-request liveness check: one indexed primary-key lookup, no cache.

It reads the credential's revocation, its system's status and the grants counter in a single
statement, so a revoked credential, a suspended system or a changed grant is seen by every
worker on the very next request (measured in bench/exchange.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from lienthong.errors import Forbidden, Unauthorized
from lienthong.exchange.models import Counter
from lienthong.registry.models import Credential, InformationSystem
from lienthong.registry.schemas import SystemStatus
from lienthong.security.tokens import Claims

credentials = Credential.__table__
systems = InformationSystem.__table__
counters = Counter.__table__

_grants_version = select(counters.c.value).where(counters.c.name == "grants").scalar_subquery()


@dataclass(frozen=True)
class LiveState:
    grants_version: int


# Compiled once by the read path (exchange.hotpath); the session path executes it directly.
LIVE_STATE = (
    select(credentials.c.revoked_at, systems.c.status, _grants_version.label("gv"))
    .join(systems, systems.c.id == credentials.c.system_id)
    .where(credentials.c.id == bindparam("cid"))
)


def judge(row: Any) -> LiveState:
    """Refuse a revoked credential or a suspended system; else the grants counter.

    ``row`` is (revoked_at, status, grants counter) or None when the credential is gone.
    """
    if row is None or row[0] is not None:
        raise Unauthorized("the client credential is revoked", code="credential-revoked")
    if row[1] == SystemStatus.suspended.value:
        raise Forbidden("the system is suspended", code="system-suspended")
    return LiveState(grants_version=int(row[2] or 0))


def live_state(conn: Connection, claims: Claims) -> LiveState:
    return judge(conn.execute(LIVE_STATE, {"cid": claims.credential_id}).first())
