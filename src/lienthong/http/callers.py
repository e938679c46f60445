"""Who is calling: the operator (token from settings) or a system (JWT access token).

Every route that is not public (web/access.py) declares who may call it with one of the
dependencies here or the operator's (http/deps.py); they also put the accepted credentials in
the OpenAPI document.

A system's token is checked by what the application put in its state (web/app.py): the
exchange runtime's verifier and the liveness check of security.state, so that every domain's
views can name their callers without depending on the domains that check them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from lienthong.claims import Claims
from lienthong.errors import Unauthorized
from lienthong.http.certificates import presented_thumbprint
from lienthong.http.deps import SessionDep, bearer_token, operator_scheme
from lienthong.http.operator import token_matches

system_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="system",
    description="A system's access token (POST /oauth/token)",
)
Credentials = HTTPAuthorizationCredentials | None


class Verifier(Protocol):
    """Checks a system's access token (security.tokens.TokenVerifier)."""

    def verify(self, token: str, certificate: str | None = None) -> Claims: ...


class LiveCheck(Protocol):
    """Refuses a revoked credential or a suspended system (security.state.live_state)."""

    def __call__(self, conn: Connection, claims: Claims, /) -> object: ...


@dataclass(frozen=True)
class Caller:
    """``claims`` is None for the operator."""

    claims: Claims | None

    @property
    def is_operator(self) -> bool:
        return self.claims is None

    @property
    def identity(self) -> tuple[Any, ...]:
        """Who this is, for binding cursors: the operator, or one system."""
        return ("operator",) if self.claims is None else ("system", self.claims.system_id)

    @property
    def source_system(self) -> str | None:
        """``ORGANISATION/SYSTEM`` of a system, as ingest records it; None for the operator."""
        return None if self.claims is None else f"{self.claims.organisation}/{self.claims.system}"


def system_claims(request: Request) -> Claims:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            "an access token is required (Authorization: Bearer …)", code="missing-token"
        )
    verifier: Verifier = request.app.state.exchange.verifier
    return verifier.verify(token, presented_thumbprint(request.scope, request.app.state.settings))


def caller(request: Request, session: Session) -> Caller:
    token = bearer_token(request)
    if token is not None and token_matches(token, request.app.state.operator_digest):
        return Caller(None)
    claims = system_claims(request)
    live_check: LiveCheck = request.app.state.live_check
    live_check(session.connection(), claims)
    return Caller(claims)


def require_caller(
    request: Request,
    session: SessionDep,
    _operator: Annotated[Credentials, Security(operator_scheme)],
    _system: Annotated[Credentials, Security(system_scheme)],
) -> Caller:
    """The operator or a live system (revoked credentials and suspended systems refused)."""
    return caller(request, session)


AnyCaller = Annotated[Caller, Depends(require_caller)]
Authenticated = Depends(require_caller)  # for routes that need no more than a caller
# Routes that verify the system token themselves (the guarded personal-data path, so that the
# refusal is audited) declare it with this; it reads nothing and refuses nothing by itself.
SystemToken = Security(system_scheme)
