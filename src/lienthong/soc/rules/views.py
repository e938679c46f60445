"""``/api/v1/soc/rules``: the detection rules, switching them on and off, testing one over a
time range of the audit log. Reads are audited like every other access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from lienthong.audit.service import record
from lienthong.events import event
from lienthong.http.callers import actor_of, permit
from lienthong.http.deps import SessionDep
from lienthong.http.permissions import Permission as P
from lienthong.soc.rules import service

router = APIRouter(tags=["soc"])


class RuleTest(BaseModel):
    """The time range to replay, ``[from, until)``, with a time zone."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    start: datetime = Field(alias="from")
    until: datetime


def _audit(request: Request, session: SessionDep, action: str, **fields: Any) -> None:
    record(
        session=session,
        settings=request.app.state.settings,
        entry=event(action, actor=actor_of(request), **fields),
    )


@router.get("/soc/rules", response_model=list[dict[str, Any]], dependencies=[permit(P.soc_read)])
def list_rules(request: Request, session: SessionDep) -> list[dict[str, Any]]:
    """Every detection rule with its threshold and whether it runs."""
    rules = service.list_rules(session=session)
    _audit(request, session, "soc.rules-list", count=len(rules))
    return rules


@router.get(
    "/soc/rules/{rule_id}", response_model=dict[str, Any], dependencies=[permit(P.soc_read)]
)
def get_rule(request: Request, session: SessionDep, rule_id: str) -> dict[str, Any]:
    """One rule, with its Sigma text."""
    rule = service.get_rule(session=session, rule_id=rule_id)
    _audit(request, session, "soc.rule-read", rule=rule["id"])
    return rule


def _switch(enabled: bool) -> Callable[..., dict[str, Any]]:
    """The route that switches a rule on (``enabled``) or off; the service audits it."""

    def switch(request: Request, session: SessionDep, rule_id: str) -> dict[str, Any]:
        return service.set_enabled(
            session=session,
            settings=request.app.state.settings,
            rule_id=rule_id,
            enabled=enabled,
            actor=actor_of(request),
        )

    return switch


for _verb, _enabled in (("enable", True), ("disable", False)):
    router.post(
        f"/soc/rules/{{rule_id}}/{_verb}",
        response_model=dict[str, Any],
        dependencies=[permit(P.soc_manage)],
        name=f"{_verb}_rule",
    )(_switch(_enabled))


@router.post(
    "/soc/rules/{rule_id}/test",
    response_model=list[dict[str, Any]],
    dependencies=[permit(P.soc_read)],
)
def test_rule(
    request: Request, session: SessionDep, rule_id: str, body: RuleTest
) -> list[dict[str, Any]]:
    """The detections the rule would raise over the range (not stored, not notified)."""
    found = service.test_rule(
        session=session,
        rule_id=rule_id,
        start=body.start,
        until=body.until,
        utc_offset_hours=request.app.state.settings.soc_utc_offset_hours,
    )
    _audit(
        request,
        session,
        "soc.rule-test",
        rule=rule_id,
        range=[body.start.isoformat(), body.until.isoformat()],
        count=len(found),
    )
    return [service.detection_json(d) for d in found]
