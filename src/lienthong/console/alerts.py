"""The alert pages of the monitoring centre: open alerts newest first (``soc.read``), one
alert with the audit entries that raised it (linked to the audit search), and the forms that
acknowledge and resolve it with a reason (``soc.act``), through the alert service, audited
as the API's changes are."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from lienthong.bounds import Id
from lienthong.codes import error_codes
from lienthong.console.access import Page, Viewer, check_pages, form_checked
from lienthong.console.i18n import chosen
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, finish, render
from lienthong.errors import LienthongError, ValidationFailed
from lienthong.http.permissions import Permission as P
from lienthong.paging import DEFAULT_LIMIT, PageRequest
from lienthong.soc.alerts import service
from lienthong.soc.alerts.schemas import AlertStatus, Severity
from lienthong.soc.detection import SEVERITIES

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Reader = Annotated[Viewer, Depends(Page(P.soc_read))]
Actor = Annotated[Viewer, Depends(Page(P.soc_act))]
Form = Annotated[dict[str, str], Depends(form_checked)]
Cursor = Annotated[str | None, Query(max_length=2048)]
REASON_LIMIT = 500  # the alert's reason columns


@router.get("/alerts")
def alerts_page(
    request: Request,
    viewer: Reader,
    cursor: Cursor = None,
    status: AlertStatus | None = None,
    severity: Severity | None = None,
) -> HTMLResponse:
    """As ``GET /api/v1/soc/alerts``: newest first, filtered by status and least severity."""
    page = PageRequest(
        seal=request.app.state.cursors, limit=DEFAULT_LIMIT, cursor=cursor
    ).for_caller("person", viewer.person.id)
    with request.app.state.sessions() as session:
        rows, nxt = service.list_alerts(
            session=session,
            page=page,
            status=status.value if status else None,
            severity=severity,
        )
        found = [{c: getattr(a, c) for c in _SHOWN} for a in rows]
    return render(
        request,
        "alerts_list.html",
        viewer=viewer,
        alerts=found,
        next_cursor=nxt,
        chosen_status=status.value if status else "",
        chosen_severity=severity or "",
        statuses=[s.value for s in AlertStatus],
        severities=list(SEVERITIES),
    )


_SHOWN = (
    "id",
    "rule_id",
    "rule_title",
    "severity",
    "group_key",
    "status",
    "first_seen",
    "last_seen",
    "occurrences",
    "evidence_count",
    "summary",
    "acknowledged_by",
    "acknowledged_at",
    "acknowledge_reason",
    "resolved_by",
    "resolved_at",
    "resolve_reason",
    "suppression_id",
)


def _alert_page(
    request: Request, viewer: Viewer, alert_id: int, problem: LienthongError | None = None
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        alert = service.get_alert(session=session, alert_id=alert_id)
        shown = {c: getattr(alert, c) for c in _SHOWN}
        evidence = service.evidence_of(session=session, alert_id=alert_id)
    meaning = None
    if problem is not None:
        known = error_codes().get(problem.code)
        meaning = (known.vi if chosen(request) == "vi" else known.en) if known else problem.message
    first, last = shown["first_seen"].date().isoformat(), shown["last_seen"].date().isoformat()
    return render(
        request,
        "alerts_item.html",
        viewer=viewer,
        status=problem.status if problem else 200,
        alert=shown,
        evidence=evidence,
        audit_link=f"{PREFIX}/audit?since={first}&until={last}",
        acts=viewer.may(P.soc_act),
        searches=viewer.may(P.audit_search),
        problem=problem,
        meaning=meaning,
    )


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, viewer: Reader, alert_id: Annotated[Id, Path()]) -> HTMLResponse:
    return _alert_page(request, viewer, alert_id)


@router.post("/alerts/{alert_id}/{verb}")
def act(
    request: Request,
    viewer: Actor,
    alert_id: Annotated[Id, Path()],
    verb: Annotated[Literal["acknowledge", "resolve"], Path()],
    form: Form,
) -> Response:
    """Acknowledge or resolve, the reason required; a refusal is shown on the alert's page."""
    reason = form.get("reason", "").strip()
    try:
        if not reason or len(reason) > REASON_LIMIT:
            raise ValidationFailed.on(
                "reason", "validation-failed", f"a reason of 1 to {REASON_LIMIT} characters"
            )
        change = service.acknowledge if verb == "acknowledge" else service.resolve
        with request.app.state.sessions() as session, session.begin():
            change(
                session=session,
                settings=request.app.state.settings,
                alert_id=alert_id,
                actor=viewer.person.actor(),
                reason=reason,
            )
    except LienthongError as problem:
        if problem.status == 404:
            raise
        return _alert_page(request, viewer, alert_id, problem)
    response = RedirectResponse(f"{PREFIX}/alerts/{alert_id}", status_code=303)
    finish(request, response)
    return response


check_pages(router, ())  # deny by default, checked on import
