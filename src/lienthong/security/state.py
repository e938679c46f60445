"""The per-request liveness check: one indexed primary-key lookup, no cache.

It reads the credential's revocation, its system's status and the grants counter in a single
statement, so a revoked credential, a suspended system or a changed grant is seen by every
worker on the very next request (measured in bench/exchange.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

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


def live_state(conn: Connection, claims: Claims) -> LiveState:
    stmt = (
        select(credentials.c.revoked_at, systems.c.status, _grants_version.label("gv"))
        .join(systems, systems.c.id == credentials.c.system_id)
        .where(credentials.c.id == claims.credential_id)
    )
    row = conn.execute(stmt).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("the client credential is revoked", code="credential-revoked")
    if row.status == SystemStatus.suspended.value:
        raise Forbidden("the system is suspended", code="system-suspended")
    return LiveState(grants_version=int(row.gv or 0))
