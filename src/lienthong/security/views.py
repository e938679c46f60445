"""``POST /oauth/token`` (client credentials, form or HTTP Basic) and the JWKS."""

from __future__ import annotations

import base64
import binascii
from concurrent.futures import Future
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.errors import LienthongError, Unauthorized, ValidationFailed
from lienthong.events import event
from lienthong.http.deps import SessionDep, client_host
from lienthong.http.scope import mark_refused
from lienthong.keys import KeyRing
from lienthong.security.schemas import Token
from lienthong.security.tokens import authenticate_client, issue_token, jwks

router = APIRouter(tags=["security"])
FormStr = Annotated[str | None, Form()]


class Writer(Protocol):
    def submit(self, entry: dict[str, Any]) -> Future[Any]: ...


class TokenDesk(Protocol):
    """What the token endpoint uses of the exchange runtime (the application's state)."""

    settings: Settings
    ring: KeyRing
    writer: Writer


def runtime(request: Request) -> TokenDesk:
    found: TokenDesk = request.app.state.exchange
    return found


def _basic(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed Basic credentials", code="invalid-client") from exc
    return client_id, secret


@router.post("/oauth/token", response_model=Token, summary="OAuth2 client-credentials grant")
def token(
    request: Request,
    session: SessionDep,
    grant_type: FormStr = None,
    client_id: FormStr = None,
    client_secret: FormStr = None,
) -> Token | JSONResponse:
    rt = runtime(request)
    try:
        if grant_type != "client_credentials":
            raise ValidationFailed.on(
                "grant_type", "unsupported-grant-type", "grant_type must be client_credentials"
            )
        basic = _basic(request)
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or not client_secret:
            raise Unauthorized("client_id and client_secret are required", code="invalid-client")
        credential = authenticate_client(
            session=session, client_id=client_id, client_secret=client_secret
        )
    except LienthongError as error:
        # Written apart from the request's transaction, which rolls back with the error;
        # counted against the caller's address (web.sources), so a flood stays bounded.
        mark_refused(request)
        rt.writer.submit(
            event(
                "auth.token",
                actor={"kind": "anonymous"},
                outcome=error.details[0].code if error.details else error.code,
                client_id=(client_id or "")[:64],
                ip=client_host(request),
            )
        ).result(30)
        raise
    value, claims = issue_token(
        session=session, ring=rt.ring, credential=credential, ttl=rt.settings.token_ttl_seconds
    )
    record(
        session=session,
        settings=rt.settings,
        entry=event("auth.token", actor=claims.actor(), jti=claims.jti),
    )
    return Token(access_token=value, expires_in=rt.settings.token_ttl_seconds)


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
def jwks_document(request: Request) -> dict[str, object]:
    return jwks(runtime(request).ring)
