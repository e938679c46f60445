"""Who is calling, and whether they may: a person, a system, or the break-glass operator.

Every route that is not public (web/access.py) declares the one permission it needs with
``Permit`` (http/permissions.py decides which roles hold it), or ``SystemToken`` for the
routes that check a system's token themselves. The accepted credentials appear in the
OpenAPI document.

A caller is, in this order:

- the shared operator token (``LIENTHONG_OPERATOR_TOKEN``): break-glass, with the platform
  operator's permissions; every use is audited (``operator.break-glass``) and, in production,
  refused once a person holds the platform-operator role;
- a personal access token (``lt_pat_…``): the person who created it, with the permissions of
  their roles (as they are at this request) that the token's scopes keep, and only the safe
  methods for a read-only token (scope ``read``);
- a system's access token (a JWT from ``POST /oauth/token``);
- with no bearer token, the person signed in to this browser session, as told by the
  ``signed_in`` hook (below).

The checks that need the database are what the application put in its state (web/app.py):
``exchange.verifier`` and ``live_check`` for systems, ``people`` (a :class:`PeopleDirectory`)
for persons, so that every domain's views can name their callers without depending on the
domains that check them.

The sign-in hook: ``app.state.signed_in`` is a function ``(request) -> SignedIn | None`` that
returns the identity-provider issuer and subject of the person signed in to this request's
browser session, or None. It defaults to :func:`nobody_signed_in`; the sign-in replaces it.
The person is then found by that (issuer, subject): the sign-in creates or updates them with
``people.service.person_for_sign_in`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from lienthong.claims import Claims
from lienthong.config import Environment
from lienthong.errors import Forbidden, LienthongError, Unauthorized
from lienthong.events import event
from lienthong.http.certificates import presented_thumbprint
from lienthong.http.deps import bearer_token, client_host, operator_scheme, refuse
from lienthong.http.operator import token_matches
from lienthong.http.permissions import (
    ROLE_PERMISSIONS,
    SYSTEM_PERMISSIONS,
    Permission,
    Role,
    holds,
    organisations_for,
)
from lienthong.http.scope import route_template

PAT_PREFIX = "lt_pat_"
# The methods that change nothing: all a read-only token may call, and all a browser session
# may call without its anti-forgery token (signin.views).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

system_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="system",
    description="A system's access token (POST /oauth/token)",
)
person_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="person",
    description="A personal access token (lt_pat_…), or a signed-in browser session",
)
Credentials = HTTPAuthorizationCredentials | None


@dataclass(frozen=True)
class SignedIn:
    """The identity-provider account of a signed-in person."""

    issuer: str
    subject: str


def nobody_signed_in(_request: Request) -> SignedIn | None:
    """The default ``signed_in`` hook: no browser sessions."""
    return None


@dataclass(frozen=True)
class Person:
    """A person calling: their roles (role, organisation or None for the province) and, for a
    personal access token, the permissions it keeps (None: all of their roles') and whether
    it only reads."""

    id: int
    name: str
    roles: frozenset[tuple[Role, str | None]]
    scopes: frozenset[Permission] | None = None
    token_id: int | None = None
    read_only: bool = False

    def holds(self, permission: Permission, organisation: str | None = None) -> bool:
        if self.scopes is not None and permission not in self.scopes:
            return False
        return holds(self.roles, permission, organisation)

    def actor(self) -> dict[str, Any]:
        via = {"token": self.token_id} if self.token_id is not None else {"via": "session"}
        return {"kind": "person", "person": self.id, "name": self.name} | via


class PeopleDirectory(Protocol):
    """Finds persons (people.service.Directory)."""

    def by_token(self, conn: Connection, token: str, /) -> Person | None: ...

    def by_sign_in(self, conn: Connection, who: SignedIn, /) -> Person | None: ...

    def operator_exists(self, conn: Connection, /) -> bool: ...


class Verifier(Protocol):
    """Checks a system's access token (security.tokens.TokenVerifier)."""

    def verify(self, token: str, certificate: str | None = None) -> Claims: ...


class LiveCheck(Protocol):
    """Refuses a revoked credential or a suspended system (security.state.live_state)."""

    def __call__(self, conn: Connection, claims: Claims, /) -> object: ...


BREAK_GLASS: frozenset[tuple[Role, str | None]] = frozenset({(Role.platform_operator, None)})


@dataclass(frozen=True)
class Caller:
    """A system (``claims``), a person (``person``) or the break-glass operator (neither)."""

    claims: Claims | None
    person: Person | None = None

    @property
    def is_operator(self) -> bool:
        """The break-glass operator token."""
        return self.claims is None and self.person is None

    @property
    def identity(self) -> tuple[Any, ...]:
        """Who this is, for binding cursors: the operator, one person or one system."""
        if self.person is not None:
            return ("person", self.person.id)
        return ("operator",) if self.claims is None else ("system", self.claims.system_id)

    @property
    def source_system(self) -> str | None:
        """``ORGANISATION/SYSTEM`` of a system, as ingest records it; None otherwise."""
        return None if self.claims is None else f"{self.claims.organisation}/{self.claims.system}"

    def holds(self, permission: Permission, organisation: str | None = None) -> bool:
        if self.person is not None:
            return self.person.holds(permission, organisation)
        if self.claims is not None:
            return permission in SYSTEM_PERMISSIONS and organisation in (
                None,
                self.claims.organisation,
            )
        return permission in ROLE_PERMISSIONS[Role.platform_operator]

    def organisations(self, permission: Permission) -> frozenset[str] | None:
        """Whose items a person sees or changes under ``permission``: the organisations they
        hold it for, or None for the province (a province-wide role, the break-glass operator).
        None for a system too: the views keep a system to its own items."""
        if self.person is None:
            return None
        return organisations_for(self.person.roles, permission)

    def actor(self) -> dict[str, Any]:
        if self.person is not None:
            return self.person.actor()
        if self.claims is not None:
            return self.claims.actor()
        return {"kind": "operator", "break_glass": True}


def system_claims(request: Request) -> Claims:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            "an access token is required (Authorization: Bearer …)", code="missing-token"
        )
    verifier: Verifier = request.app.state.exchange.verifier
    return verifier.verify(token, presented_thumbprint(request.scope, request.app.state.settings))


def _break_glass(request: Request, session: Session) -> Caller:
    """The shared operator token: refused in production once a person operator exists;
    every use is audited apart from the request's transaction (kept when it rolls back)."""
    directory: PeopleDirectory = request.app.state.people
    settings = request.app.state.settings
    # The database first: unreachable, the answer is database-unavailable, as for any caller,
    # not a failure to audit.
    conn = session.connection()
    closed = settings.environment is Environment.production and directory.operator_exists(conn)
    entry = event(
        "operator.break-glass",
        actor={"kind": "operator", "break_glass": True},
        outcome="break-glass-closed" if closed else "ok",
        route=route_template(request.scope),
        method=request.method,
        ip=client_host(request),
    )
    request.app.state.exchange.writer.submit(entry).result(30)
    if closed:
        raise Unauthorized(
            "the operator token is closed: a person holds the platform-operator role",
            code="break-glass-closed",
        )
    return Caller(None)


def caller(request: Request, session: Session) -> Caller:
    token = bearer_token(request)
    directory: PeopleDirectory = request.app.state.people
    if token is None:
        signed_in: Callable[[Request], SignedIn | None] = request.app.state.signed_in
        who = signed_in(request)
        person = directory.by_sign_in(session.connection(), who) if who else None
        if person is not None:
            return Caller(None, person)
        raise Unauthorized(
            "an access token is required (Authorization: Bearer …)", code="missing-token"
        )
    if token_matches(token, request.app.state.operator_digest):
        return _break_glass(request, session)
    if token.startswith(PAT_PREFIX):
        person = directory.by_token(session.connection(), token)
        if person is None:
            raise Unauthorized(
                "the personal access token is unknown, expired or revoked", code="invalid-token"
            )
        return Caller(None, person)
    claims = system_claims(request)
    live_check: LiveCheck = request.app.state.live_check
    live_check(session.connection(), claims)
    return Caller(claims)


def require_caller(
    request: Request,
    _operator: Annotated[Credentials, Security(operator_scheme)],
    _person: Annotated[Credentials, Security(person_scheme)],
    _system: Annotated[Credentials, Security(system_scheme)],
) -> Caller:
    """Any authenticated caller (revoked credentials and suspended systems refused); a 401 is
    audited (``operator.denied``). Resolved in a short transaction of its own, so that a
    streamed upload holds none open."""
    try:
        with request.app.state.sessions() as session, session.begin():
            return caller(request, session)
    except Unauthorized as error:
        if error.code == "break-glass-closed":
            raise
        refuse(request, error)


class Permit:
    """A route's access rule: the caller must hold ``permission`` (for the ``{org}`` the path
    names, if any). A refusal is audited: 401 as ``operator.denied``, 403 as
    ``permission.denied`` with who was refused."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, request: Request, who: Annotated[Caller, Depends(require_caller)]) -> Caller:
        organisation = request.path_params.get("org")
        reads_only = who.person is not None and who.person.read_only
        if reads_only and request.method not in SAFE_METHODS:
            refused: str | None = "this personal access token only reads (scope read)"
        elif not who.holds(self.permission, organisation):
            refused = f"this needs the permission {self.permission.value}"
        else:
            refused = None
        if refused is not None:
            error: LienthongError = Forbidden(refused, code="not-permitted")
            entry = event(
                "permission.denied",
                actor=who.actor(),
                outcome=error.code,
                permission=self.permission.value,
                route=route_template(request.scope),
                method=request.method,
                ip=client_host(request),
            )
            request.app.state.exchange.writer.submit(entry).result(30)
            raise error
        request.state.caller = who
        return who


def actor_of(request: Request) -> dict[str, Any]:
    """Who acts, for the audit entry of a change: the caller the route's ``Permit`` admitted."""
    who: Caller = request.state.caller
    return who.actor()


def permit(permission: Permission) -> Any:
    """``dependencies=[permit(Permission.x)]`` or ``who: Annotated[Caller, permit(...)]``."""
    return Depends(Permit(permission))


AnyCaller = Annotated[Caller, Depends(require_caller)]
# Routes that verify the system token themselves (the guarded personal-data path, so that the
# refusal is audited) declare it with this; it reads nothing and refuses nothing by itself.
SystemToken = Security(system_scheme)
