"""People routes: who am I, my personal access tokens, my own reads (citizens), and the
platform operator's management of persons and their roles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, status

from lienthong.audit.service import record, subject_reads
from lienthong.bounds import Id
from lienthong.errors import Forbidden
from lienthong.events import event
from lienthong.http.callers import Caller, Person, actor_of, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.http.permissions import Role
from lienthong.paging import Page
from lienthong.people import service, tokens
from lienthong.people.models import Person as PersonRow
from lienthong.people.schemas import (
    PersonCreate,
    PersonRead,
    RoleChange,
    RoleRead,
    TokenCreate,
    TokenIssued,
    TokenRead,
)

router = APIRouter(tags=["people"])
Self = Annotated[Caller, permit(P.people_self)]


def _person(who: Caller) -> Person:
    if who.person is None:
        raise Forbidden("only a person has this", code="person-required")
    return who.person


def _read(person: PersonRow, roles: list[tuple[Role, str | None]]) -> PersonRead:
    return PersonRead(
        id=person.id,
        issuer=person.issuer,
        subject=person.subject,
        name=person.name,
        roles=[RoleRead(role=r, organisation=o) for r, o in roles],
    )


@router.get("/people/me", response_model=PersonRead)
def me(session: SessionDep, who: Self) -> PersonRead:
    person = service.get_person(session=session, person_id=_person(who).id)
    return _read(person, service.roles_of(session=session, person_id=person.id))


@router.post("/people/me/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def create_token(
    request: Request, session: SessionDep, who: Self, body: TokenCreate
) -> TokenIssued:
    """A personal access token for yourself, from a signed-in session (not from another
    token: a token cannot outlive its person's sign-in by minting the next one)."""
    person = _person(who)
    if person.token_id is not None:
        raise Forbidden("sign in to make a personal access token", code="sign-in-required")
    row, secret = tokens.create_token(
        session=session,
        settings=request.app.state.settings,
        person_id=person.id,
        roles=person.roles,
        name=body.name,
        scopes=body.scopes,
        days=body.days,
        actor=person.actor(),
    )
    return TokenIssued(**TokenRead.model_validate(row).model_dump(), token=secret)


@router.get("/people/me/tokens", response_model=list[TokenRead])
def list_tokens(session: SessionDep, who: Self) -> list[TokenRead]:
    """Your tokens, without their secrets."""
    found = tokens.list_tokens(session=session, person_id=_person(who).id)
    return [TokenRead.model_validate(t) for t in found]


@router.post("/people/me/tokens/{token_id}/revoke", response_model=TokenRead)
def revoke_token(request: Request, session: SessionDep, who: Self, token_id: Id) -> TokenRead:
    person = _person(who)
    row = tokens.revoke_token(
        session=session,
        settings=request.app.state.settings,
        person_id=person.id,
        token_id=token_id,
        actor=person.actor(),
    )
    return TokenRead.model_validate(row)


@router.get("/people/me/reads", response_model=Page[dict[str, Any]])
def my_reads(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.own_reads)],
    paging: Paging,
) -> Page[dict[str, Any]]:
    """Which systems read your records, when, for what purpose and on whose behalf (reads
    through master records included): the subject report for yourself only."""
    person = service.get_person(session=session, person_id=_person(who).id)
    if not person.personal_id:
        raise Forbidden("your account carries no personal ID", code="no-personal-id")
    settings = request.app.state.settings
    rows, nxt = subject_reads(
        session=session, settings=settings, personal_id=person.personal_id, page=paging
    )
    record(
        session=session,
        settings=settings,
        entry=event("audit.subject-report", actor=who.actor(), count=len(rows), own=True),
    )
    return Page(items=rows, next_cursor=nxt)


@router.get("/people", response_model=Page[PersonRead], dependencies=[permit(P.people_manage)])
def list_people(session: SessionDep, paging: Paging) -> Page[PersonRead]:
    rows, nxt = service.list_people(session=session, page=paging)
    items = [_read(p, service.roles_of(session=session, person_id=p.id)) for p in rows]
    return Page(items=items, next_cursor=nxt)


@router.post(
    "/people",
    response_model=PersonRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.people_manage)],
)
def add_person(request: Request, session: SessionDep, body: PersonCreate) -> PersonRead:
    """Register a person ahead of their first sign-in (to give them a role)."""
    person = service.person_for_sign_in(
        session,
        issuer=body.issuer,
        subject=body.subject,
        name=body.name,
        personal_id=body.personal_id,
    )
    service.record_person_added(
        session=session, settings=request.app.state.settings, person=person, actor=actor_of(request)
    )
    return _read(person, service.roles_of(session=session, person_id=person.id))


@router.post(
    "/people/{person_id}/roles", response_model=PersonRead, dependencies=[permit(P.people_manage)]
)
def assign_role(
    request: Request, session: SessionDep, person_id: Id, body: RoleChange
) -> PersonRead:
    roles = service.assign_role(
        session=session,
        settings=request.app.state.settings,
        person_id=person_id,
        role=body.role,
        organisation=body.organisation,
        actor=actor_of(request),
    )
    return _read(service.get_person(session=session, person_id=person_id), roles)


@router.post(
    "/people/{person_id}/roles/remove",
    response_model=PersonRead,
    dependencies=[permit(P.people_manage)],
)
def remove_role(
    request: Request, session: SessionDep, person_id: Id, body: RoleChange
) -> PersonRead:
    roles = service.remove_role(
        session=session,
        settings=request.app.state.settings,
        person_id=person_id,
        role=body.role,
        organisation=body.organisation,
        actor=actor_of(request),
    )
    return _read(service.get_person(session=session, person_id=person_id), roles)
