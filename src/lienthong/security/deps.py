"""Who is calling: the operator (token from settings) or a system (JWT access token)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from lienthong.errors import Unauthorized
from lienthong.exchange.runtime import Runtime
from lienthong.security.state import live_state
from lienthong.security.tokens import Claims
from lienthong.web.deps import bearer_token
from lienthong.web.operator import token_matches


@dataclass(frozen=True)
class Caller:
    """``claims`` is None for the operator."""

    claims: Claims | None

    @property
    def is_operator(self) -> bool:
        return self.claims is None


def system_claims(request: Request) -> Claims:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(
            "an access token is required (Authorization: Bearer …)", code="missing-token"
        )
    rt: Runtime = request.app.state.exchange
    return rt.verifier.verify(token)


def caller(request: Request, session: Session) -> Caller:
    token = bearer_token(request)
    if token is not None and token_matches(token, request.app.state.operator_digest):
        return Caller(None)
    claims = system_claims(request)
    live_state(session.connection(), claims)
    return Caller(claims)
