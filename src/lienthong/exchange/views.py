"""Grant, owner and purpose routes. Systems (or their organisation's administrators) request;
a data steward of the dataset's owner decides; the owner's stewards or the operator suspend,
resume or revoke."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from sqlalchemy.orm import Session

from lienthong.bounds import Id
from lienthong.errors import Forbidden, NotFound, ValidationFailed
from lienthong.exchange import grants
from lienthong.exchange.models import Grant
from lienthong.exchange.schemas import (
    GrantDecision,
    GrantRead,
    GrantRequest,
    GrantRevoke,
    GrantStatus,
    GrantSuspend,
    OwnerRead,
    OwnerSet,
    PurposeRead,
    RetireRequest,
)
from lienthong.exchange.store_link import known_fields
from lienthong.exchange.versions import retire_version
from lienthong.http.callers import Caller, actor_of, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.paging import Page
from lienthong.registry import owners
from lienthong.registry.models import InformationSystem
from lienthong.registry.systems import get_system
from lienthong.standards.schemas import StandardRead

DatasetName = Annotated[
    str,
    Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Dataset (standard)"),
]

router = APIRouter(tags=["grants"])


@router.get("/purposes", response_model=list[PurposeRead])
def purposes(session: SessionDep) -> list[PurposeRead]:
    return [PurposeRead.model_validate(p) for p in grants.list_purposes(session=session)]


def _read(session: Session, grant: Grant, system: InformationSystem | None = None) -> GrantRead:
    system = system or grants.get_grant(session=session, grant_id=grant.id)[1]
    return grants.to_read(grant, system, grants.needed(session, grant))


@router.post("/grants", response_model=GrantRead, status_code=status.HTTP_201_CREATED)
def request_grant(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_request)],
    body: GrantRequest,
) -> GrantRead:
    """A system asks for itself; a person (the operator, or an administrator of the consumer's
    organisation) names the consumer system."""
    settings = request.app.state.settings
    if who.claims is None:
        if not body.consumer_organisation or not body.consumer_system:
            raise ValidationFailed.on(
                "consumer_system", "consumer-required", "the operator must name the consumer system"
            )
        if not who.holds(P.grants_request, body.consumer_organisation):
            raise Forbidden(
                f"you do not administer {body.consumer_organisation}", code="not-permitted"
            )
        system = get_system(
            session=session, organisation=body.consumer_organisation, code=body.consumer_system
        )
    else:
        found = session.get(InformationSystem, who.claims.system_id)
        assert found is not None
        system = found
    grant = grants.request_grant(
        session=session,
        settings=settings,
        system=system,
        data=body,
        actor=who.actor(),
        known_fields=known_fields(session=session, dataset=body.dataset, version=body.version),
        person=who.person.id if who.person else None,
    )
    return _read(session, grant, system)


@router.get("/grants", response_model=Page[GrantRead])
def list_grants(
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_read)],
    paging: Paging,
    status: GrantStatus | None = None,
    dataset: str | None = None,
) -> Page[GrantRead]:
    """A system sees its own grants; a person of an organisation those its systems requested
    and those on the datasets it owns; a province-wide role every grant."""
    rows, nxt = grants.list_grants(
        session=session,
        system_id=None if who.claims is None else who.claims.system_id,
        organisations=who.organisations(P.grants_read),
        status=status.value if status else None,
        dataset=dataset,
        page=paging.for_caller(*who.identity),
    )
    return Page(items=[_read(session, g) for g in rows], next_cursor=nxt)


@router.get("/grants/{grant_id}", response_model=GrantRead)
def show_grant(
    session: SessionDep, who: Annotated[Caller, permit(P.grants_read)], grant_id: Id
) -> GrantRead:
    grant, system = grants.get_grant(
        session=session, grant_id=grant_id, organisations=who.organisations(P.grants_read)
    )
    if who.claims is not None and who.claims.system_id != grant.system_id:
        raise Forbidden("this grant belongs to another system", code="not-your-grant")
    return _read(session, grant, system)


def _decide(
    request: Request,
    session: Session,
    who: Caller,
    grant_id: Id,
    body: GrantDecision,
    *,
    approve: bool,
) -> GrantRead:
    if who.person is None:  # the break-glass operator never decides for an owner
        raise Forbidden("only a data steward decides", code="not-the-owner")
    stewards = who.organisations(P.grants_decide) or frozenset()
    grant = grants.decide(
        session=session,
        settings=request.app.state.settings,
        grant_id=grant_id,
        approve=approve,
        decider=grants.Decider(who.person.id, who.person.name, stewards, who.actor()),
        organisation=body.organisation,
        reason=body.reason,
    )
    return _read(session, grant)


@router.post("/grants/{grant_id}/approve", response_model=GrantRead)
def approve(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_decide)],
    grant_id: Id,
    body: GrantDecision | None = None,
) -> GrantRead:
    """Approve as a data steward of the dataset's owner (the second approval with four eyes)."""
    return _decide(request, session, who, grant_id, body or GrantDecision(), approve=True)


@router.post("/grants/{grant_id}/reject", response_model=GrantRead)
def reject(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_decide)],
    grant_id: Id,
    body: GrantDecision | None = None,
) -> GrantRead:
    return _decide(request, session, who, grant_id, body or GrantDecision(), approve=False)


def _change(
    request: Request,
    session: Session,
    who: Caller,
    grant_id: int,
    change: Callable[..., Grant],
    reason: str | None,
) -> GrantRead:
    """Revoke, suspend or resume (``change``, a grants service function) as ``who``: the
    platform operator any grant, a data steward those on its organisation's datasets."""
    grant = change(
        session=session,
        settings=request.app.state.settings,
        grant_id=grant_id,
        actor=who.actor(),
        reason=reason,
        organisations=who.organisations(P.grants_revoke),
    )
    return _read(session, grant)


@router.post("/grants/{grant_id}/revoke", response_model=GrantRead)
def revoke(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_revoke)],
    grant_id: Id,
    body: GrantRevoke | None = None,
) -> GrantRead:
    """The platform operator revokes any grant; a data steward those on its datasets."""
    return _change(request, session, who, grant_id, grants.revoke, body.reason if body else None)


@router.post("/grants/{grant_id}/suspend", response_model=GrantRead)
def suspend(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_revoke)],
    grant_id: Id,
    body: GrantSuspend,
) -> GrantRead:
    """Suspend an approved grant, with the reason: its reads are refused (403
    ``grant-suspended``) until it is resumed. The platform operator, or a data steward of the
    dataset's owner."""
    return _change(request, session, who, grant_id, grants.suspend, body.reason)


@router.post("/grants/{grant_id}/resume", response_model=GrantRead)
def resume(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.grants_revoke)],
    grant_id: Id,
    body: GrantRevoke | None = None,
) -> GrantRead:
    """Resume a suspended grant: it reads again. Who may suspend may resume."""
    return _change(request, session, who, grant_id, grants.resume, body.reason if body else None)


@router.get(
    "/datasets/{dataset}/owner",
    response_model=OwnerRead,
    tags=["datasets"],
    dependencies=[permit(P.grants_read)],
)
def show_owner(session: SessionDep, dataset: DatasetName) -> OwnerRead:
    owner = owners.find_owner(session=session, dataset=dataset)
    if owner is None:
        raise NotFound(f"dataset {dataset!r} has no owner", code="dataset-has-no-owner")
    return OwnerRead(
        dataset=dataset, organisation=owner.organisation.code, four_eyes=owner.four_eyes
    )


@router.put(
    "/datasets/{dataset}/owner",
    response_model=OwnerRead,
    tags=["datasets"],
    dependencies=[permit(P.datasets_own)],
)
def set_owner(
    request: Request, session: SessionDep, dataset: DatasetName, body: OwnerSet
) -> OwnerRead:
    """Name the organisation that owns a dataset (its stewards decide its grants) and whether
    its grants need four eyes."""
    known_fields(session=session, dataset=dataset)  # 404 unknown-dataset before anything
    owner = owners.set_owner(
        session=session,
        settings=request.app.state.settings,
        dataset=dataset,
        organisation=body.organisation,
        four_eyes=body.four_eyes,
        actor=actor_of(request),
    )
    return OwnerRead(
        dataset=dataset, organisation=owner.organisation.code, four_eyes=owner.four_eyes
    )


@router.post(
    "/standards/{name}/{version}/retire",
    response_model=StandardRead,
    tags=["standards"],
    dependencies=[permit(P.standards_manage)],
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
        actor=actor_of(request),
    )
    return StandardRead.model_validate(standard)
