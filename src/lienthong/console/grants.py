"""The grant pages: a data steward's inbox of the requests on the datasets their organisation
owns (approve or reject with a reason; suspend, resume or revoke), and the requests of a
consumer organisation's systems with their status. Decisions go through the exchange's own
grant service, audited as the API's are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lienthong.bounds import Id
from lienthong.codes import error_codes
from lienthong.console.access import Page, Viewer, check_pages, form_checked
from lienthong.console.i18n import chosen
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, finish, render
from lienthong.errors import LienthongError, NotFound, ValidationFailed
from lienthong.exchange import grants
from lienthong.exchange.schemas import GrantRead
from lienthong.http.permissions import Permission as P
from lienthong.paging import DEFAULT_LIMIT, PageRequest
from lienthong.people import service as people
from lienthong.registry.owners import is_sensitive

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Reader = Annotated[Viewer, Depends(Page(P.grants_read))]
Steward = Annotated[Viewer, Depends(Page(P.grants_decide))]
Revoker = Annotated[Viewer, Depends(Page(P.grants_revoke))]
Form = Annotated[dict[str, str], Depends(form_checked)]
Cursor = Annotated[str | None, Query(max_length=2048)]
INBOX = f"{PREFIX}/grants/inbox"
REASON_LIMIT = 500  # the grant's reason column


def _listed(
    request: Request, viewer: Viewer, side: str, cursor: str | None
) -> tuple[list[Listed], str | None]:
    """The grants this person sees with ``grants.read`` on one side, newest first (the
    scope of ``GET /api/v1/grants``)."""
    page = PageRequest(
        seal=request.app.state.cursors, limit=DEFAULT_LIMIT, cursor=cursor
    ).for_caller("person", viewer.person.id)
    with request.app.state.sessions() as session:
        rows, nxt = grants.list_grants(
            session=session,
            organisations=viewer.organisations(P.grants_read),
            page=page,
            side=side,
            newest_first=True,
        )
        found = [_read(session, g) for g in rows]
        return found, nxt


def _read(session: Session, grant: grants.Grant) -> Listed:
    system = grants.get_grant(session=session, grant_id=grant.id)[1]
    read = grants.to_read(grant, system, grants.needed(session, grant))
    return Listed(read, _name(session, read.decided_by), _name(session, read.suspended_by))


def _name(session: Session, by: str | None) -> str | None:
    """A person's name for ``person:ID``; anything else (``operator``, an organisation code
    of the grants decided before people signed in) as it is."""
    if by is None or not by.startswith("person:"):
        return by
    try:
        return people.get_person(session=session, person_id=int(by.removeprefix("person:"))).name
    except NotFound:
        return by


@dataclass(frozen=True)
class Listed:
    """A grant as the pages show it: with the names of who decided and who suspended."""

    grant: GrantRead
    decided_by: str | None
    suspended_by: str | None


def _inbox(
    request: Request,
    viewer: Viewer,
    cursor: str | None = None,
    *,
    problem: LienthongError | None = None,
) -> HTMLResponse:
    found, nxt = _listed(request, viewer, "owner", cursor)
    meaning = None
    if problem is not None:
        known = error_codes().get(problem.code)
        meaning = (known.vi if chosen(request) == "vi" else known.en) if known else problem.message
    return render(
        request,
        "grants_inbox.html",
        viewer=viewer,
        status=problem.status if problem else 200,
        grants=found,
        next_cursor=nxt,
        sensitive=is_sensitive,
        decides=viewer.may(P.grants_decide),
        revokes=viewer.may(P.grants_revoke),
        problem=problem,
        meaning=meaning,
    )


@router.get("/grants/inbox")
def inbox_page(request: Request, viewer: Reader, cursor: Cursor = None) -> HTMLResponse:
    """Read as ``GET /api/v1/grants`` is (``grants.read``); the buttons follow the person's
    ``grants.decide`` and ``grants.revoke``."""
    return _inbox(request, viewer, cursor)


@router.get("/grants/requests")
def requests_page(request: Request, viewer: Reader, cursor: Cursor = None) -> HTMLResponse:
    found, nxt = _listed(request, viewer, "consumer", cursor)
    return render(
        request,
        "grants_requests.html",
        viewer=viewer,
        grants=found,
        next_cursor=nxt,
        sensitive=is_sensitive,
    )


def _reason(form: dict[str, str], *, required: bool) -> str | None:
    reason = form.get("reason", "").strip()
    if len(reason) > REASON_LIMIT:
        raise ValidationFailed.on("reason", "too-long", f"at most {REASON_LIMIT} characters")
    if required and not reason:
        raise ValidationFailed.on("reason", "missing-value", "a reason is required")
    return reason or None


def _act(request: Request, viewer: Viewer, change: Callable[[Session], Any]) -> Response:
    """Run ``change`` in one transaction (its audit entry commits with it) and go back to the
    inbox; a refusal of the service (self-approval, four eyes, not pending) is shown on the
    inbox in the person's language."""
    try:
        with request.app.state.sessions() as session, session.begin():
            change(session)
    except LienthongError as problem:
        return _inbox(request, viewer, problem=problem)
    response = RedirectResponse(INBOX, status_code=303)
    finish(request, response)
    return response


def _decide(
    request: Request, viewer: Viewer, grant_id: int, form: dict[str, str], *, approve: bool
) -> Response:
    person = viewer.person
    decider = grants.Decider(
        person.id, person.name, viewer.organisations(P.grants_decide) or frozenset(), person.actor()
    )

    def change(session: Session) -> None:
        grants.decide(
            session=session,
            settings=request.app.state.settings,
            grant_id=grant_id,
            approve=approve,
            decider=decider,
            reason=_reason(form, required=not approve),
        )

    return _act(request, viewer, change)


GrantId = Annotated[Id, Path()]
Verb = Annotated[str, Path(pattern="^(suspend|resume|revoke)$")]


@router.post("/grants/{grant_id}/approve")
def approve(request: Request, viewer: Steward, grant_id: GrantId, form: Form) -> Response:
    """As ``POST /api/v1/grants/{id}/approve``: a data steward of the dataset's owner."""
    return _decide(request, viewer, grant_id, form, approve=True)


@router.post("/grants/{grant_id}/reject")
def reject(request: Request, viewer: Steward, grant_id: GrantId, form: Form) -> Response:
    """Rejecting needs a reason, which the consumer reads on its requests."""
    return _decide(request, viewer, grant_id, form, approve=False)


@router.post("/grants/{grant_id}/{verb}")
def hold(request: Request, viewer: Revoker, grant_id: GrantId, verb: Verb, form: Form) -> Response:
    """Suspend (a reason required), resume or revoke: the platform operator, or a data
    steward of the dataset's owner (``grants.revoke``)."""
    reason = _reason(form, required=verb == "suspend")
    held = {
        "settings": request.app.state.settings,
        "grant_id": grant_id,
        "actor": viewer.person.actor(),
        "organisations": viewer.organisations(P.grants_revoke),
    }

    def change(session: Session) -> None:
        if verb == "suspend":
            grants.suspend(session=session, reason=reason or "", **held)
        elif verb == "resume":
            grants.resume(session=session, reason=reason, **held)
        else:
            grants.revoke(session=session, reason=reason, **held)

    return _act(request, viewer, change)


check_pages(router, ())  # deny by default, checked on import
