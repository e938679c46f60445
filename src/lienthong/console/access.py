"""Who may see a console page: deny by default, with the API's roles and permissions.

A page declares ``Page(permission)`` (or ``Page(None)``: any signed-in person, for the pages
that show each person only what they hold); ``check_pages`` makes the console fail to import
while a page declares nothing, or a form POST lacks the CSRF check. A visitor without a live
session is sent to the sign-in page; a person without the permission gets a refusal page in
their language (403), audited like the API's refusals (``permission.denied``).

CSRF: every form carries a token derived from the session cookie (HMAC-SHA256 keyed by it),
which a cross-site page can neither read (HttpOnly) nor compute; a POST whose token does not
match, or whose ``Origin`` is another site's, is refused. The cookie's SameSite=Lax is the
second line.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from lienthong.errors import ConfigurationError
from lienthong.events import event
from lienthong.http.callers import PeopleDirectory, Person
from lienthong.http.deps import client_host
from lienthong.http.permissions import Permission, organisations_for
from lienthong.http.scope import route_template
from lienthong.signin.service import csrf_matches, csrf_token
from lienthong.signin.views import SESSION_COOKIE, session_account


class SignInNeeded(Exception):
    """No live session: the visitor goes to the sign-in page."""


class PageRefused(Exception):
    """Signed in, without the page's permission."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(permission.value)
        self.permission = permission


class FormRefused(Exception):
    """A form POST without a valid CSRF token, or from another site."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person looking at a page, and their session's CSRF token."""

    person: Person
    csrf: str

    def may(self, permission: Permission) -> bool:
        return self.person.holds(permission)

    def organisations(self, permission: Permission) -> frozenset[str] | None:
        """The organisations this person sees with ``permission``; None: every one."""
        return organisations_for(self.person.roles, permission)


def viewer_of(request: Request) -> Viewer | None:
    """The person of this request's session cookie (its sign-in account, found in the people
    directory), or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    who = session_account(request)  # a form's token is checked by ``form_checked``
    if who is None:
        return None
    directory: PeopleDirectory = request.app.state.people
    with request.app.state.sessions() as session:
        person = directory.by_sign_in(session.connection(), who)
    return None if person is None else Viewer(person, csrf_token(cookie))


class Page:
    """A page's access rule: signed in, and holding ``permission`` unless it is None."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    def __call__(self, request: Request) -> Viewer:
        viewer = viewer_of(request)
        if viewer is None:
            raise SignInNeeded
        request.state.viewer = viewer  # the refusal page shows who is signed in
        if self.permission is not None and not viewer.may(self.permission):
            entry = event(
                "permission.denied",
                actor=viewer.person.actor(),
                outcome="not-permitted",
                permission=self.permission.value,
                route=route_template(request.scope),
                method=request.method,
                ip=client_host(request),
            )
            request.app.state.exchange.writer.submit(entry).result(30)
            raise PageRefused(self.permission)
        return viewer


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin == "null" and request.headers.get("sec-fetch-site") == "same-origin":
        # Under the console's ``Referrer-Policy: no-referrer`` a browser sends ``Origin: null``
        # with its own forms; its fetch metadata (which no page can set) still says whence.
        origin = own
    if origin is not None and origin != own:
        raise FormRefused


async def form_checked(request: Request) -> dict[str, str]:
    """The posted form's text fields, once its CSRF token and origin are checked."""
    _check_origin(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    form = await request.form()
    token = form.get("csrf")
    if not cookie or not isinstance(token, str):
        raise FormRefused
    if not csrf_matches(cookie, token):
        raise FormRefused
    return {k: v for k, v in form.items() if isinstance(v, str)}


PRESESSION_COOKIE = "__Host-lienthong-presession"


async def signin_form_checked(request: Request) -> dict[str, str]:
    """A form posted before any session exists (the development sign-in): its origin checked
    as :func:`form_checked` does, and its ``token`` matching the cookie the sign-in page set
    (a page of another site can neither read the cookie nor set it)."""
    _check_origin(request)
    cookie = request.cookies.get(PRESESSION_COOKIE)
    form = await request.form()
    token = form.get("token")
    if not cookie or not isinstance(token, str) or not hmac.compare_digest(cookie, token):
        raise FormRefused
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _calls(dependant: Dependant) -> list[Any]:
    return [sub.call for sub in dependant.dependencies] + [
        call for sub in dependant.dependencies for call in _calls(sub)
    ]


def check_pages(router: APIRouter, public: Iterable[str]) -> None:
    """Every console route declares a ``Page`` rule (or is one of ``public``, by path), and
    every POST checks its form."""
    open_paths = set(public)
    undeclared, unchecked = [], []
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        calls = _calls(route.dependant)
        if route.path not in open_paths and not any(isinstance(c, Page) for c in calls):
            undeclared.append(route.path)
        checked = form_checked in calls or signin_form_checked in calls
        if "POST" in (route.methods or ()) and not checked:
            unchecked.append(route.path)
    if undeclared or unchecked:
        raise ConfigurationError(
            f"console pages without an access rule: {undeclared}; "
            f"form posts without the CSRF check: {unchecked}",
            code="undeclared-access",
        )
