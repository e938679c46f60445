"""``POST /oauth/token`` (client credentials: HTTP Basic, form fields or a TLS client
certificate), the JWKS and the authorization server metadata (RFC 8414).

The token endpoint answers its refusals as OAuth clients expect (RFC 6749 §5.2:
``{"error": "invalid_client", "error_description": …}``, ``WWW-Authenticate: Basic`` on 401),
not in the platform's error shape: stock OAuth libraries in Java, .NET and Python parse only
that. The description is English, for machines; the audit entry keeps the platform's code.
"""

from __future__ import annotations

import base64
import binascii
from concurrent.futures import Future
from typing import Annotated, Any, Protocol
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.errors import REALM, BadRequest, LienthongError, Unauthorized
from lienthong.events import event
from lienthong.http.certificates import certificate_names, client_certificate, thumbprint
from lienthong.http.deps import SessionDep, client_host
from lienthong.http.scope import mark_refused
from lienthong.keys import KeyRing
from lienthong.registry.models import Credential
from lienthong.security.schemas import Token
from lienthong.security.tokens import (
    SCOPES,
    authenticate_certificate,
    authenticate_client,
    issue_token,
    jwks,
)

router = APIRouter(tags=["security"])
FormStr = Annotated[str | None, Form()]
GRANT_TYPE = "client_credentials"
# The platform's code → the RFC 6749 §5.2 error (the HTTP status is the code's own).
OAUTH_ERRORS = {
    "invalid-client": "invalid_client",
    "credential-revoked": "invalid_client",
    "system-suspended": "invalid_client",
    "organisation-inactive": "invalid_client",
    "invalid-request": "invalid_request",
    "unsupported-grant-type": "unsupported_grant_type",
    "invalid-scope": "invalid_scope",
}


class OAuthError(BaseModel):
    """A token endpoint refusal (RFC 6749 §5.2)."""

    error: str = Field(description="invalid_request, invalid_client, unsupported_grant_type, …")
    error_description: str = Field(description="What went wrong, in English")


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
        client_id, _, secret = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Unauthorized("malformed Basic credentials", code="invalid-client") from exc
    # RFC 6749 §2.3.1: both are form-encoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


async def repeated_parameters(request: Request) -> list[str]:
    """Parameters sent more than once (RFC 6749 §3.2 forbids it); the form is parsed once
    and kept by the request, so the fields below read the same one."""
    form = await request.form()
    return sorted({name for name in form if len(form.getlist(name)) > 1})


def _scope(asked: str | None) -> str:
    wanted = (asked or "").split()
    unknown = sorted(set(wanted) - set(SCOPES))
    if unknown:
        raise BadRequest(f"unknown scope: {' '.join(unknown)}", code="invalid-scope")
    return " ".join(s for s in SCOPES if s in wanted) if wanted else " ".join(SCOPES)


def _client(
    request: Request,
    session: Session,
    settings: Settings,
    client_id: str | None,
    client_secret: str | None,
) -> tuple[Credential, str | None]:
    """The authenticated credential and the presented certificate's thumbprint, if any."""
    basic = _basic(request)
    if basic is not None and (client_secret is not None or (client_id or basic[0]) != basic[0]):
        raise BadRequest(
            "use one client authentication method, not Basic and form fields",
            code="invalid-request",
        )
    if basic is not None:
        client_id, client_secret = basic
    certificate = client_certificate(request.scope, settings)
    bound = None if certificate is None else thumbprint(certificate)
    if not client_id:
        raise Unauthorized("client authentication is required", code="invalid-client")
    if client_secret:
        credential = authenticate_client(
            session=session, client_id=client_id, client_secret=client_secret
        )
    elif certificate is not None:
        credential = authenticate_certificate(
            session=session, client_id=client_id, names=certificate_names(certificate)
        )
    else:
        raise Unauthorized("client authentication is required", code="invalid-client")
    return credential, bound


def oauth_error(error: LienthongError) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if error.status == 401:
        headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    body = OAuthError(
        error=OAUTH_ERRORS.get(error.code, "invalid_request"), error_description=error.message
    )
    return JSONResponse(body.model_dump(), status_code=error.status, headers=headers)


@router.post(
    "/oauth/token",
    response_model=Token,
    summary="OAuth2 client-credentials grant",
)
def token(
    request: Request,
    session: SessionDep,
    grant_type: FormStr = None,
    client_id: FormStr = None,
    client_secret: FormStr = None,
    scope: FormStr = None,
    repeated: Annotated[list[str], Depends(repeated_parameters)] = [],  # noqa: B006 - injected
) -> Token | JSONResponse:
    rt = runtime(request)
    try:
        if repeated:
            raise BadRequest(
                f"parameters sent more than once: {', '.join(repeated)}", code="invalid-request"
            )
        if not grant_type:
            raise BadRequest("grant_type is required", code="invalid-request")
        if grant_type != GRANT_TYPE:
            raise BadRequest("grant_type must be client_credentials", code="unsupported-grant-type")
        credential, bound = _client(request, session, rt.settings, client_id, client_secret)
        granted = _scope(scope)
    except LienthongError as error:
        # Written apart from the request's transaction, which rolls back with the error;
        # counted against the caller's address (web.sources), so a flood stays bounded.
        mark_refused(request)
        rt.writer.submit(
            event(
                "auth.token",
                actor={"kind": "anonymous"},
                outcome=error.code,
                client_id=(client_id or "")[:64],
                ip=client_host(request),
            )
        ).result(30)
        return oauth_error(error)
    value, claims = issue_token(
        session=session,
        ring=rt.ring,
        credential=credential,
        ttl=rt.settings.token_ttl_seconds,
        issuer=rt.settings.issuer,
        audience=rt.settings.audience,
        scope=granted,
        thumbprint=bound,
    )
    record(
        session=session,
        settings=rt.settings,
        entry=event("auth.token", actor=claims.actor(), jti=claims.jti),
    )
    return Token(access_token=value, expires_in=rt.settings.token_ttl_seconds, scope=granted)


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
def jwks_document(request: Request) -> dict[str, object]:
    return jwks(runtime(request).ring)


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="Authorization server metadata (RFC 8414)",
)
def metadata(request: Request) -> dict[str, object]:
    settings = runtime(request).settings
    issuer = settings.issuer
    methods = ["client_secret_basic", "client_secret_post"]
    if settings.mtls:
        methods.append("tls_client_auth")
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": [GRANT_TYPE],
        "response_types_supported": [],  # no authorization endpoint: systems only
        "token_endpoint_auth_methods_supported": methods,
        "scopes_supported": list(SCOPES),
        "tls_client_certificate_bound_access_tokens": settings.mtls,
    }
