"""The development sign-in's form: one click signs in as a sample person
(:mod:`lienthong.signin.development`); off, and refused with a page, unless the platform runs
with ``LIENTHONG_ENVIRONMENT=development`` and ``LIENTHONG_DEV_SIGNIN``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from lienthong.console.access import PRESESSION_COOKIE, check_pages, signin_form_checked
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, finish
from lienthong.http.deps import client_host
from lienthong.signin.development import sign_in_as
from lienthong.signin.service import csrf_token
from lienthong.signin.views import CSRF_COOKIE, SESSION_COOKIE

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
SignInForm = Annotated[dict[str, str], Depends(signin_form_checked)]
DEVELOPMENT = f"{PREFIX}/welcome/development"
TOKEN_SECONDS = 600


def keep_presession(response: Response, token: str) -> None:
    """The token the sign-in page's forms carry, kept in its cookie (double submit)."""
    response.set_cookie(
        PRESESSION_COOKIE,
        token,
        max_age=TOKEN_SECONDS,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


@router.post("/welcome/development")
async def development_signin(request: Request, form: SignInForm) -> Response:
    """Sign in as the sample person the form names; the browser goes on to the console."""
    settings = request.app.state.settings
    secret = await run_in_threadpool(
        lambda: sign_in_as(
            sessions=request.app.state.sessions,
            settings=settings,
            subject=form.get("as", ""),
            ip=client_host(request),
        )
    )
    target = form.get("next", "")
    if not target.startswith(f"{PREFIX}/") or target.startswith(f"{PREFIX}//"):
        target = f"{PREFIX}/"
    response = RedirectResponse(target, status_code=303)
    age = settings.signin_session_seconds
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=age, path="/", secure=True, httponly=True, samesite="lax"
    )
    response.set_cookie(
        CSRF_COOKIE, csrf_token(secret), max_age=age, path="/", secure=True, samesite="lax"
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/", secure=True, httponly=True)
    finish(request, response)
    return response


check_pages(router, (DEVELOPMENT,))  # public: whoever may see the sign-in page
