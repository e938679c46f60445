"""Grant and purpose routes. Systems request and see their own grants; operators decide."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from lienthong.audit.service import operator_actor
from lienthong.bounds import Id
from lienthong.errors import Forbidden, ValidationFailed
from lienthong.exchange import grants
from lienthong.exchange.schemas import (
    GrantDecision,
    GrantRead,
    GrantRequest,
    GrantRevoke,
    GrantStatus,
    PurposeRead,
    RetireRequest,
)
from lienthong.exchange.store_link import known_fields
from lienthong.exchange.versions import retire_version
from lienthong.http.callers import AnyCaller
from lienthong.http.deps import Operator, SessionDep
from lienthong.http.paging import Paging
from lienthong.paging import Page
from lienthong.registry.models import InformationSystem
from lienthong.registry.systems import get_system
from lienthong.standards.schemas import StandardRead

router = APIRouter(tags=["grants"])


@router.get("/purposes", response_model=list[PurposeRead])
def purposes(session: SessionDep) -> list[PurposeRead]:
    return [PurposeRead.model_validate(p) for p in grants.list_purposes(session=session)]


@router.post("/grants", response_model=GrantRead, status_code=status.HTTP_201_CREATED)
def request_grant(
    request: Request, session: SessionDep, who: AnyCaller, body: GrantRequest
) -> GrantRead:
    settings = request.app.state.settings
    if who.claims is None:
        if not body.consumer_organisation or not body.consumer_system:
            raise ValidationFailed.on(
                "consumer_system", "consumer-required", "the operator must name the consumer system"
            )
        system = get_system(
            session=session, organisation=body.consumer_organisation, code=body.consumer_system
        )
        actor = {"kind": "operator"}
    else:
        found = session.get(InformationSystem, who.claims.system_id)
        assert found is not None
        system, actor = found, who.claims.actor()
    grant = grants.request_grant(
        session=session,
        settings=settings,
        system=system,
        data=body,
        actor=actor,
        known_fields=known_fields(session=session, dataset=body.dataset, version=body.version),
    )
    return grants.to_read(grant, system)


@router.get("/grants", response_model=Page[GrantRead])
def list_grants(
    session: SessionDep,
    who: AnyCaller,
    paging: Paging,
    status: GrantStatus | None = None,
    dataset: str | None = None,
) -> Page[GrantRead]:
    """The operator sees every grant; a system only its own."""
    rows, nxt = grants.list_grants(
        session=session,
        system_id=None if who.claims is None else who.claims.system_id,
        status=status.value if status else None,
        dataset=dataset,
        page=paging.for_caller(*who.identity),
    )
    items = [grants.to_read(g, grants.get_grant(session=session, grant_id=g.id)[1]) for g in rows]
    return Page(items=items, next_cursor=nxt)


@router.get("/grants/{grant_id}", response_model=GrantRead)
def show_grant(session: SessionDep, who: AnyCaller, grant_id: Id) -> GrantRead:
    grant, system = grants.get_grant(session=session, grant_id=grant_id)
    if who.claims is not None and who.claims.system_id != grant.system_id:
        raise Forbidden("this grant belongs to another system", code="not-your-grant")
    return grants.to_read(grant, system)


def _decide(
    request: Request, session: Session, grant_id: Id, body: GrantDecision, *, approve: bool
) -> GrantRead:
    grant = grants.decide(
        session=session,
        settings=request.app.state.settings,
        grant_id=grant_id,
        approve=approve,
        organisation=body.organisation,
        reason=body.reason,
    )
    return grants.to_read(grant, grants.get_grant(session=session, grant_id=grant.id)[1])


@router.post("/grants/{grant_id}/approve", response_model=GrantRead, dependencies=[Operator])
def approve(request: Request, session: SessionDep, grant_id: Id, body: GrantDecision) -> GrantRead:
    return _decide(request, session, grant_id, body, approve=True)


@router.post("/grants/{grant_id}/reject", response_model=GrantRead, dependencies=[Operator])
def reject(request: Request, session: SessionDep, grant_id: Id, body: GrantDecision) -> GrantRead:
    return _decide(request, session, grant_id, body, approve=False)


@router.post("/grants/{grant_id}/revoke", response_model=GrantRead, dependencies=[Operator])
def revoke(
    request: Request, session: SessionDep, grant_id: Id, body: GrantRevoke | None = None
) -> GrantRead:
    grant = grants.revoke(
        session=session,
        settings=request.app.state.settings,
        grant_id=grant_id,
        reason=body.reason if body else None,
    )
    return grants.to_read(grant, grants.get_grant(session=session, grant_id=grant.id)[1])


@router.post(
    "/standards/{name}/{version}/retire",
    response_model=StandardRead,
    tags=["standards"],
    dependencies=[Operator],
)
def retire(
    request: Request, session: SessionDep, name: str, version: Id, body: RetireRequest
) -> StandardRead:
    """Announce the day (``on``, after today) from which this version is no longer served;
    its readers get ``Sunset`` headers until then and 410 from that day."""
    standard = retire_version(
        session=session,
        settings=request.app.state.settings,
        name=name,
        version=version,
        on=body.on,
        actor=operator_actor(),
    )
    return StandardRead.model_validate(standard)
