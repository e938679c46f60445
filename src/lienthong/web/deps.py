"""Request dependencies: the transaction-owning session and the operator check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.errors import Unauthorized
from lienthong.web.operator import token_matches


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


operator_scheme = HTTPBearer(
    auto_error=False, scheme_name="operator", description="LIENTHONG_OPERATOR_TOKEN"
)


def require_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(operator_scheme)],
) -> None:
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise Unauthorized(
            "an operator token is required (Authorization: Bearer …)", code="missing-token"
        )
    if not token_matches(token, request.app.state.operator_digest):
        raise Unauthorized("the operator token is not valid", code="invalid-token")


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
Operator = Depends(require_operator)
