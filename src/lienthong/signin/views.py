"""``/signin``: people sign in at the province's identity provider (OpenID Connect, code flow
with PKCE) and get a session cookie; ``/signin/me`` says who is signed in.

Cookies: ``__Host-`` names (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax, so they reach
the callback (a top-level navigation back from the provider) and never a cross-site POST.

Cross-site request forgery: SameSite is a browser's promise, not the platform's check. Every
request that may change something (any method but GET, HEAD, OPTIONS) and is authenticated
by the session cookie must also carry the session's anti-forgery token in ``X-CSRF-Token``
(``signin.service.csrf_token``); the page reads it from ``__Host-lienthong-csrf``, the one
cookie that is not HttpOnly. Without it the request is refused (403 ``csrf-token-invalid``,
audited) before any permission is looked at. Sign-out is exempt: it can only end the session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import RedirectResponse, Response
from fastapi.security import APIKeyCookie

from lienthong.config import Settings
from lienthong.events import event
from lienthong.http.callers import SAFE_METHODS
from lienthong.http.callers import SignedIn as CallerSignedIn
from lienthong.http.deps import SessionDep, client_host
from lienthong.http.scope import mark_refused, route_template
from lienthong.signin.errors import CrossSiteRefused, NotSignedIn, SignInError
from lienthong.signin.provider import Provider
from lienthong.signin.schemas import SignedInRead
from lienthong.signin.service import (
    ATTEMPT_SECONDS,
    Callback,
    SignedIn,
    csrf_matches,
    csrf_token,
    finish_login,
    sign_out,
    signed_in,
    start_login,
)

SESSION_COOKIE = "__Host-lienthong-session"
STATE_COOKIE = "__Host-lienthong-signin"
CSRF_COOKIE = "__Host-lienthong-csrf"
CSRF_HEADER = "X-CSRF-Token"

router = APIRouter(prefix="/signin", tags=["sign-in"])
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="person",
    description="A person's session (GET /signin/login)",
)
Param = Annotated[str | None, Query(max_length=2048)]


def _provider(request: Request) -> Provider:
    provider: Provider = request.app.state.signin
    return provider


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _audit_apart(request: Request, entry: Any) -> None:
    request.app.state.exchange.writer.submit(dict(entry)).result(30)


def _spoken(request: Request, error: SignInError) -> SignInError:
    """Vietnamese unless the person's browser prefers English."""
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return error.in_english() if first.startswith("en") else error


def _set_cookie(
    response: Response, name: str, value: str, max_age: int, *, httponly: bool = True
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=httponly, samesite="lax"
    )


def require_signed_in(
    request: Request,
    session: SessionDep,
    cookie: Annotated[str | None, Security(session_cookie)],
) -> SignedIn:
    """The person of this request's session cookie; 401 ``not-signed-in`` (audited) without
    a live one."""
    identity = signed_in(session, cookie)
    if identity is None:
        _audit_apart(
            request,
            event(
                "signin.denied",
                actor={"kind": "anonymous"},
                outcome=NotSignedIn.code,
                route=route_template(request.scope),
                method=request.method,
                ip=client_host(request),
            ),
        )
        raise _spoken(request, NotSignedIn())
    return identity


Person = Annotated[SignedIn, Depends(require_signed_in)]


def _refused_at_start(request: Request, error: SignInError) -> SignInError:
    provider = _provider(request)
    mark_refused(request)
    _audit_apart(
        request,
        event(
            "signin.refused",
            actor={"kind": "anonymous"},
            outcome=error.code,
            reason=error.reason,
            issuer=provider.client.issuer if provider.client else None,
            ip=client_host(request),
        ),
    )
    return _spoken(request, error)


@router.get(
    "/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Sign in at the identity provider",
    responses={302: {"description": "To the identity provider's sign-in page"}},
)
def login(request: Request) -> Response:
    provider = _provider(request)
    try:
        provider.on  # noqa: B018  (refuses when sign-in is off)
        started = start_login(sessions=request.app.state.sessions, provider=provider)
    except SignInError as error:
        raise _refused_at_start(request, error) from error
    response = RedirectResponse(started.url, status_code=302)
    _set_cookie(response, STATE_COOKIE, started.state, ATTEMPT_SECONDS)
    return response


@router.get(
    "/callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="The identity provider's answer: opens a session",
    responses={303: {"description": "Signed in: the session cookie is set"}},
)
def callback(
    request: Request,
    code: Param = None,
    state: Param = None,
    error: Param = None,
    iss: Param = None,
) -> Response:
    provider, settings = _provider(request), _settings(request)
    try:
        provider.on  # noqa: B018
        secret, _identity = finish_login(
            sessions=request.app.state.sessions,
            provider=provider,
            settings=settings,
            callback=Callback(
                state=state,
                browser_state=request.cookies.get(STATE_COOKIE),
                code=code,
                error=error,
                iss=iss,
                ip=client_host(request),
            ),
            audit_apart=lambda entry: _audit_apart(request, entry),
        )
    except SignInError as refused:
        mark_refused(request)
        raise _spoken(request, refused) from refused
    response = RedirectResponse(settings.signin_after_url, status_code=303)
    _set_cookie(response, SESSION_COOKIE, secret, settings.signin_session_seconds)
    # Readable by the platform's own pages, which send it back in X-CSRF-Token.
    _set_cookie(
        response, CSRF_COOKIE, csrf_token(secret), settings.signin_session_seconds, httponly=False
    )
    response.delete_cookie(STATE_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    summary="Sign out here, then at the identity provider when it offers logout",
    responses={303: {"description": "To the identity provider's logout (RP-initiated logout)"}},
)
def logout(
    request: Request,
    session: SessionDep,
    cookie: Annotated[str | None, Security(session_cookie)],
) -> Response:
    provider, settings = _provider(request), _settings(request)
    try:
        provider.on  # noqa: B018
    except SignInError as error:
        raise _spoken(request, error) from error
    sign_out(
        session=session, settings=settings, session_cookie_value=cookie, ip=client_host(request)
    )
    at_provider = provider.logout_url(post_logout_url=settings.signin_post_logout_url)
    response: Response = (
        RedirectResponse(at_provider, status_code=303) if at_provider else Response(status_code=204)
    )
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    response.delete_cookie(CSRF_COOKIE, path="/", secure=True, httponly=False, samesite="lax")
    return response


@router.get("/me", response_model=SignedInRead, summary="Who is signed in")
def me(person: Person) -> SignedInRead:
    return SignedInRead(
        issuer=person.issuer,
        subject=person.subject,
        name=person.name,
        personal_id=person.personal_id,
        claims=person.claims,
        expires_at=person.expires_at,
    )


def session_account(request: Request) -> CallerSignedIn | None:
    """The account of this request's session cookie, or None, without the anti-forgery check:
    for a caller that checks the token itself (the console's forms carry it in the body)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with request.app.state.sessions() as session:
        identity = signed_in(session, cookie)
    if identity is None:
        return None
    return CallerSignedIn(issuer=identity.issuer, subject=identity.subject)


def session_identity(request: Request) -> CallerSignedIn | None:
    """The ``signed_in`` hook of http.callers: the account of this request's session cookie,
    or None; routes that permit a person then find their roles by it. A request that may
    change something needs the session's anti-forgery token too (module docstring)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    identity = session_account(request)
    if cookie is None or identity is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(
        cookie, request.headers.get(CSRF_HEADER)
    ):
        _audit_apart(
            request,
            event(
                "signin.denied",
                actor={"kind": "person", "issuer": identity.issuer, "subject": identity.subject},
                outcome=CrossSiteRefused.code,
                route=route_template(request.scope),
                method=request.method,
                ip=client_host(request),
            ),
        )
        raise _spoken(request, CrossSiteRefused())
    return identity
