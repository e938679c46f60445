"""Rendering: one Jinja2 environment per language (the catalogue installed as gettext), the
console's Content-Security-Policy, and the HTML pages for a missing session, a refusal, a
refused form and an error (a page, never the API's JSON)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.types import Message, Scope, Send

from lienthong import __version__
from lienthong.codes import error_codes
from lienthong.console.access import FormRefused, PageRefused, SignInNeeded, Viewer
from lienthong.console.i18n import COOKIE, LANGUAGES, chosen, language
from lienthong.console.navigation import sections_for
from lienthong.errors import LienthongError, ValidationFailed
from lienthong.signin import development

# No inline script or style anywhere: scripts and styles come from our own static files, the
# charts' data from the pages' own tables.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
LANG_COOKIE_SECONDS = 365 * 24 * 3600
WELCOME = "/console/welcome"


@cache
def environment(code: str) -> Environment:
    env = Environment(
        loader=PackageLoader("lienthong.console", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(language(code).translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["version"] = __version__
    env.globals["languages"] = LANGUAGES
    return env


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    code = chosen(request)
    page = environment(code).get_template(template)
    html = page.render(
        request=request,
        viewer=viewer,
        sections=sections_for(viewer),
        lang=code,
        path=request.url.path,
        dev_signin=_development(request),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    finish(request, response, code)
    return response


def _development(request: Request) -> bool:
    """Whether the development sign-in is on (then every page says so)."""
    settings = getattr(getattr(request.scope.get("app"), "state", None), "settings", None)
    return settings is not None and development.enabled(settings)


def finish(request: Request, response: Response, code: str | None = None) -> None:
    """The console's policy; the language kept when the request chose one."""
    response.headers["content-security-policy"] = POLICY
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(
            COOKIE,
            code or asked,
            max_age=LANG_COOKIE_SECONDS,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )


def gettext(request: Request) -> Callable[[str], str]:
    return language(chosen(request)).gettext


def _to_welcome(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"{WELCOME}?next={quote(target, safe='/')}", status_code=303)
    finish(request, response)
    return response


def error_page(request: Request, error: Exception) -> Response:
    if isinstance(error, SignInNeeded):
        return _to_welcome(request)
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    if isinstance(error, PageRefused):
        return render(
            request, "refused.html", viewer=viewer, status=403, permission=error.permission
        )
    if isinstance(error, FormRefused):
        return render(request, "form_refused.html", viewer=viewer, status=403)
    assert isinstance(error, LienthongError)
    return error_response(request, error, viewer)


def error_response(request: Request, error: LienthongError, viewer: Viewer | None) -> Response:
    """The error's code with its registered meaning in the page's language."""
    vi = chosen(request) == "vi"

    def meaning_of(code: str, message: str) -> str:
        known = error_codes().get(code)
        return (known.vi if vi else known.en) if known else message

    details = [
        {"field": d.field, "code": d.code, "meaning": meaning_of(d.code, d.message)}
        for d in error.details
        if d.code != error.code
    ]
    response = render(
        request,
        "error.html",
        viewer=viewer,
        status=error.status,
        error=error,
        meaning=meaning_of(error.code, error.message),
        details=details,
    )
    response.headers.update(getattr(error, "headers", None) or {})  # Retry-After, …
    return response


async def refusal_page(scope: Scope, send: Send, error: LienthongError) -> None:
    """A refusal made before any console route ran (a body over the limit: 413) as the
    console's page in the person's language; the body was not read, so the connection
    closes."""
    request = Request(scope)
    response = error_response(request, error, None)
    response.headers["connection"] = "close"

    async def unread() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, unread, send)


class ConsoleRoute(APIRoute):
    """Console routes answer their refusals and the domains' errors with pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def pages(request: Request) -> Response:
            try:
                return await handler(request)
            except (SignInNeeded, PageRefused, FormRefused, LienthongError) as error:
                return error_page(request, error)
            except RequestValidationError as error:  # a parameter out of bounds
                return error_page(request, ValidationFailed.of_parser(error.errors()))

        return pages
