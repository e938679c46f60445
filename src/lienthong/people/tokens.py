"""Personal access tokens: made by a person for themselves, scoped to permissions they hold,
expiring, shown once, kept only as a SHA-256 digest, listed without the secret, revocable.

Scopes, asked at creation: ``api`` (every permission the person's roles give), ``read`` (the
token only reads: any method but GET, HEAD and OPTIONS is refused, whatever the permissions),
or permission names (the token keeps only those). They combine: ``["read", "audit.search"]``
only searches the audit log. A token never holds more than its person's roles give at the
moment of each request (``http.callers.Person.holds``).

A token is 32 random bytes (``lt_pat_`` + URL-safe base64): a plain digest is enough at rest,
since nothing smaller than the whole token can be guessed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import ErrorDetail, NotFound, ValidationFailed
from lienthong.http.callers import PAT_PREFIX
from lienthong.http.permissions import ROLE_PERMISSIONS, Permission, Role
from lienthong.people.models import Person, PersonalToken

MAX_DAYS = 365
API = "api"
READ = "read"
NAMED_SCOPES = (API, READ)


def _asked(scopes: list[str] | None) -> tuple[set[Permission] | None, bool, list[ErrorDetail]]:
    """The permissions asked (None: all held), whether the token only reads, and the scopes
    that are not scopes."""
    if scopes is None:
        return None, False, []
    known = {p.value: p for p in Permission}
    details = [
        ErrorDetail(
            "scopes",
            "unknown-scope",
            f"{s!r} is not a scope: {API}, {READ} or a permission name (docs/people.md)",
        )
        for s in scopes
        if s not in known and s not in NAMED_SCOPES
    ]
    named = {known[s] for s in scopes if s in known}
    everything = API in scopes or (READ in scopes and not named)
    return (None if everything else named), READ in scopes, details


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *,
    session: Session,
    settings: Settings,
    person_id: int,
    roles: frozenset[tuple[Role, str | None]],
    name: str,
    scopes: list[str] | None,
    days: int,
    actor: dict[str, Any],
) -> tuple[PersonalToken, str]:
    """A new token and its secret (shown once). ``scopes`` (module docstring) name permissions
    the person's roles give (None or ``api``: all of them, as they are now), ``read`` makes
    the token read-only; ``people.self`` is always kept."""
    held = {p for role, _ in roles for p in ROLE_PERMISSIONS[role]}
    asked, read_only, details = _asked(scopes)
    wanted = held if asked is None else asked
    wanted |= {Permission.people_self} & held  # a token may always say whose it is
    details += [
        ErrorDetail("scopes", "scope-not-held", f"your roles do not give {p.value}")
        for p in sorted(wanted - held)
    ]
    if not 1 <= days <= MAX_DAYS:
        details.append(ErrorDetail("days", "token-lifetime", f"a token lives 1 to {MAX_DAYS} days"))
    if not wanted and not details:
        details.append(ErrorDetail("scopes", "scope-not-held", "your roles give no permission"))
    if details:
        raise ValidationFailed("the token cannot be made", details=details)
    secret = PAT_PREFIX + secrets.token_urlsafe(32)
    row = PersonalToken(
        person_id=person_id,
        name=name,
        digest=digest(secret),
        scopes=sorted(p.value for p in wanted) + ([READ] if read_only else []),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    record_change(
        session=session,
        settings=settings,
        action="person.token-create",
        target={"person": person_id, "token": row.id, "scopes": row.scopes, "days": days},
        actor=actor,
    )
    return row, secret


def list_tokens(*, session: Session, person_id: int) -> list[PersonalToken]:
    stmt = select(PersonalToken).where(PersonalToken.person_id == person_id)
    return list(session.scalars(stmt.order_by(PersonalToken.id)))


def revoke_token(
    *, session: Session, settings: Settings, person_id: int, token_id: int, actor: dict[str, Any]
) -> PersonalToken:
    row = session.get(PersonalToken, token_id)
    if row is None or row.person_id != person_id:
        raise NotFound(f"no token {token_id} of yours", code="unknown-token")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        record_change(
            session=session,
            settings=settings,
            action="person.token-revoke",
            target={"person": person_id, "token": row.id},
            actor=actor,
        )
    return row


@dataclass(frozen=True)
class LiveToken:
    """An unexpired, unrevoked token: whose, and what its scopes keep."""

    id: int
    person_id: int
    name: str  # the person's
    permissions: frozenset[Permission]
    read_only: bool


def live_token(conn: Connection, token: str, now: datetime | None = None) -> LiveToken | None:
    """The token of this secret, unless unknown, expired or revoked."""
    row = conn.execute(
        select(
            PersonalToken.id,
            PersonalToken.person_id,
            PersonalToken.scopes,
            PersonalToken.expires_at,
            PersonalToken.revoked_at,
            Person.name,
        )
        .join(Person, Person.id == PersonalToken.person_id)
        .where(PersonalToken.digest == digest(token))
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= (now or utcnow()):
        return None
    known = {p.value for p in Permission}
    permissions = frozenset(Permission(s) for s in row.scopes if s in known)
    return LiveToken(row.id, row.person_id, row.name, permissions, READ in row.scopes)
