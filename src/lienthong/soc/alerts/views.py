"""Alert routes: the monitoring centre reads alerts (``soc.read``), acknowledges and
resolves them and opens suppression windows (``soc.act``); notification targets are
``soc.manage``. Every change is audited by the service in the request's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from lienthong.bounds import Id
from lienthong.http.callers import Caller, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.paging import Page
from lienthong.soc.alerts import notify, service
from lienthong.soc.alerts.models import Alert, NotificationTarget, Suppression
from lienthong.soc.alerts.schemas import (
    AlertAction,
    AlertDetail,
    AlertRead,
    AlertStatus,
    DeliveryRead,
    IsoDatetime,
    Severity,
    SuppressionCreate,
    SuppressionRead,
    TargetCreate,
    TargetCreated,
    TargetRead,
    TargetUpdate,
)

router = APIRouter(prefix="/soc", tags=["security monitoring"])
RuleId = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]


def alert_read(alert: Alert) -> AlertRead:
    return AlertRead.model_validate(alert, from_attributes=True)


def target_read(target: NotificationTarget, counts: dict[str, int] | None = None) -> TargetRead:
    return TargetRead.model_validate(
        {
            **{k: getattr(target, k) for k in TargetRead.model_fields if hasattr(target, k)},
            **(counts or {}),
        }
    )


@router.get("/alerts", response_model=Page[AlertRead])
def list_alerts(
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_read)],
    paging: Paging,
    status: AlertStatus | None = None,
    severity: Annotated[Severity | None, Query(description="At least this severity")] = None,
    rule: RuleId = None,
    since: Annotated[IsoDatetime | None, Query(description="Last seen at or after")] = None,
) -> Page[AlertRead]:
    """Alerts newest first."""
    rows, nxt = service.list_alerts(
        session=session,
        page=paging.for_caller(*who.identity),
        status=status.value if status else None,
        severity=severity,
        rule=rule,
        since=since,
    )
    return Page(items=[alert_read(a) for a in rows], next_cursor=nxt)


@router.get("/alerts/{alert_id}", response_model=AlertDetail, dependencies=[permit(P.soc_read)])
def show_alert(session: SessionDep, alert_id: Id) -> AlertDetail:
    """One alert with the audit entries (seqs) that raised it."""
    alert = service.get_alert(session=session, alert_id=alert_id)
    evidence = service.evidence_of(session=session, alert_id=alert.id)
    return AlertDetail(**alert_read(alert).model_dump(), evidence=evidence)


def _alert_step(change: Callable[..., Alert]) -> Callable[..., AlertRead]:
    """The route of one step of an alert's lifecycle: ``change`` is the service's step."""

    def step(
        request: Request,
        session: SessionDep,
        who: Annotated[Caller, permit(P.soc_act)],
        alert_id: Id,
        body: AlertAction,
    ) -> AlertRead:
        alert = change(
            session=session,
            settings=request.app.state.settings,
            alert_id=alert_id,
            actor=who.actor(),
            reason=body.reason,
        )
        return alert_read(alert)

    return step


_STEPS = (
    (
        "acknowledge",
        service.acknowledge,
        "Someone is on it (an open alert; the reason is required).",
    ),
    (
        "resolve",
        service.resolve,
        "Done with (an open or acknowledged alert; the reason is required).",
    ),
)
for _verb, _change, _about in _STEPS:
    router.post(
        f"/alerts/{{alert_id}}/{_verb}", response_model=AlertRead, name=_verb, description=_about
    )(_alert_step(_change))


def _window(window: Suppression) -> SuppressionRead:
    return SuppressionRead.model_validate(window, from_attributes=True)


@router.get("/suppressions", response_model=Page[SuppressionRead])
def list_suppressions(
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_read)],
    paging: Paging,
    current: bool = False,
) -> Page[SuppressionRead]:
    """Suppression windows newest first (``current``: those not yet over)."""
    rows, nxt = service.list_suppressions(
        session=session, page=paging.for_caller(*who.identity), current=current
    )
    return Page(items=[_window(w) for w in rows], next_cursor=nxt)


@router.post("/suppressions", response_model=SuppressionRead, status_code=status.HTTP_201_CREATED)
def suppress(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_act)],
    body: SuppressionCreate,
) -> SuppressionRead:
    window = service.suppress(
        session=session, settings=request.app.state.settings, data=body, actor=who.actor()
    )
    return _window(window)


@router.get(
    "/suppressions/{suppression_id}",
    response_model=SuppressionRead,
    dependencies=[permit(P.soc_read)],
)
def show_suppression(session: SessionDep, suppression_id: Id) -> SuppressionRead:
    return _window(service.get_suppression(session=session, suppression_id=suppression_id))


@router.post("/suppressions/{suppression_id}/end", response_model=SuppressionRead)
def end_suppression(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_act)],
    suppression_id: Id,
) -> SuppressionRead:
    """End the window now; findings raise alerts again."""
    window = service.end_suppression(
        session=session,
        settings=request.app.state.settings,
        suppression_id=suppression_id,
        actor=who.actor(),
    )
    return _window(window)


@router.get("/targets", response_model=list[TargetRead], dependencies=[permit(P.soc_manage)])
def list_targets(session: SessionDep) -> list[TargetRead]:
    """Notification targets with their deliveries' counts (never a secret)."""
    counts = notify.delivery_counts(session=session)
    return [target_read(t, counts.get(t.id)) for t in notify.list_targets(session=session)]


@router.post("/targets", response_model=TargetCreated, status_code=status.HTTP_201_CREATED)
def create_target(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_manage)],
    body: TargetCreate,
) -> TargetCreated:
    """A webhook target's signing secret is in this answer only: give it to the receiver."""
    target = notify.create_target(
        session=session, settings=request.app.state.settings, data=body, actor=who.actor()
    )
    return TargetCreated(**target_read(target).model_dump(), secret=target.secret)


@router.get("/targets/{target_id}", response_model=TargetRead, dependencies=[permit(P.soc_manage)])
def show_target(session: SessionDep, target_id: Id) -> TargetRead:
    target = notify.get_target(session=session, target_id=target_id)
    return target_read(target, notify.delivery_counts(session=session).get(target.id))


@router.patch("/targets/{target_id}", response_model=TargetRead)
def update_target(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_manage)],
    target_id: Id,
    body: TargetUpdate,
) -> TargetRead:
    target = notify.update_target(
        session=session,
        settings=request.app.state.settings,
        target_id=target_id,
        data=body,
        actor=who.actor(),
    )
    return target_read(target)


@router.delete("/targets/{target_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_target(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.soc_manage)],
    target_id: Id,
) -> None:
    notify.delete_target(
        session=session, settings=request.app.state.settings, target_id=target_id, actor=who.actor()
    )


@router.get(
    "/targets/{target_id}/deliveries",
    response_model=list[DeliveryRead],
    dependencies=[permit(P.soc_manage)],
)
def deliveries(
    session: SessionDep,
    target_id: Id,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
) -> list[Any]:
    """The target's latest 100 deliveries: attempts, next attempt, last error."""
    notify.get_target(session=session, target_id=target_id)
    rows = notify.list_deliveries(session=session, target_id=target_id, status=status)
    return [DeliveryRead.model_validate(d, from_attributes=True) for d in rows]
