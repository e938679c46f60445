"""Connection monitoring routes: a system's heartbeat, the interval a system is expected to
call within, and the activity report (docs/soc-connections.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from lienthong.errors import LienthongError, Unauthorized
from lienthong.events import event
from lienthong.http.callers import SystemToken, actor_of, permit, system_claims
from lienthong.http.deps import SessionDep, client_host, refuse
from lienthong.http.permissions import Permission as P
from lienthong.soc.connections import report, service
from lienthong.soc.connections.schemas import (
    ActivityReport,
    ExpectedInterval,
    Heartbeat,
    SystemActivityRead,
)

router = APIRouter(tags=["connections"])


@router.post("/systems/me/heartbeat", response_model=Heartbeat, dependencies=[SystemToken])
def heartbeat(request: Request, session: SessionDep) -> Heartbeat:
    """The calling system says it is up (its access token). Audited (``system.heartbeat``);
    rate-limited with the system's other calls; a suspended system is refused and audited."""
    try:
        claims = system_claims(request)
    except Unauthorized as error:
        refuse(request, error)
    rt = request.app.state.exchange
    try:
        request.app.state.live_check(session.connection(), claims)
    except LienthongError as error:
        entry = event(
            "system.heartbeat", actor=claims.actor(), outcome=error.code, ip=client_host(request)
        )
        rt.writer.submit(entry).result(30)  # apart from the request's transaction
        raise
    rt.limiter.take(claims.system_id)
    settings = request.app.state.settings
    at = service.heartbeat(
        session=session, settings=settings, claims=claims, ip=client_host(request)
    )
    [activity] = service.activities(session=session, settings=settings, system_id=claims.system_id)
    return Heartbeat(
        organisation=claims.organisation,
        system=claims.system,
        received_at=at,
        expected_interval_seconds=activity.expected_interval_seconds,
    )


@router.put(
    "/organisations/{org}/systems/{code}/expected-interval",
    response_model=SystemActivityRead,
    dependencies=[permit(P.systems_manage)],
)
def set_expected_interval(
    request: Request, session: SessionDep, org: str, code: str, body: ExpectedInterval
) -> SystemActivityRead:
    """Set how long the system may stay quiet before it counts as silent (audited)."""
    found = service.set_interval(
        session=session,
        settings=request.app.state.settings,
        actor=actor_of(request),
        organisation=org,
        code=code,
        seconds=body.seconds,
    )
    return report.system_read(found)


@router.get(
    "/reports/connections/activity",
    response_model=ActivityReport,
    dependencies=[permit(P.soc_read)],
)
def activity(
    request: Request,
    organisation: Annotated[str | None, Query(description="One organisation's code")] = None,
) -> ActivityReport:
    """Each system and organisation: never-connected, silent (quiet beyond its expected
    interval) or active."""
    return report.activity_report(
        engine=request.app.state.engine,
        settings=request.app.state.settings,
        organisation=organisation,
    )
