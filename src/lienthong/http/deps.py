"""Request dependencies: the transaction-owning session, the bearer token and the audited
refusal (who may call what: http/callers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, NoReturn

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.events import event
from lienthong.http.scope import client_address, route_template


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
    auto_error=False,
    scheme_name="operator",
    description="LIENTHONG_OPERATOR_TOKEN (break-glass: see docs/people.md)",
)


def client_host(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy: FORWARDED_ALLOW_IPS)."""
    return client_address(request.scope)


def refuse(request: Request, error: LienthongError) -> NoReturn:
    """Audit the refusal of a caller without valid credentials (anonymous, with the route
    template and the source address, never the path: it may name a person), then raise it.

    Written apart from the request's transaction, which rolls back with the error; the answer
    waits for the entry (503 ``audit-unavailable`` when it cannot be written). A flood of
    these is bounded by the per-address refusal limit (web.sources).
    """
    entry = event(
        "operator.denied",
        actor={"kind": "anonymous"},
        outcome=error.code,
        route=route_template(request.scope),
        method=request.method,
        ip=client_host(request),
    )
    request.app.state.exchange.writer.submit(entry).result(30)
    raise error


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
