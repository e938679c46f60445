"""Persons and their roles: created or updated at sign-in, roles assigned by the platform
operator. Every change is an audit entry in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, exists, select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.errors import Conflict, NotFound, ValidationFailed
from lienthong.http.callers import Person as Principal
from lienthong.http.callers import SignedIn
from lienthong.http.permissions import PERSONAL, PROVINCE_ONLY, Role
from lienthong.paging import PageRequest, keyset_page
from lienthong.people import tokens
from lienthong.people.models import Person, RoleAssignment
from lienthong.registry.models import Organisation
from lienthong.registry.organisations import get_organisation
from lienthong.text import nfc

# Roles that act for one organisation and mean nothing province-wide.
ORGANISATION_ONLY = frozenset({Role.organisation_admin, Role.data_steward})


def person_for_sign_in(
    session: Session,
    *,
    issuer: str,
    subject: str,
    name: str,
    personal_id: str | None,
    settings: Settings | None = None,
) -> Person:
    """The person with this identity-provider account, created on first sign-in and updated
    (name, personal ID) on each later one. A new person holds no role. With ``settings``, a
    creation or change is audited (``person.sign-in``)."""
    person = session.scalars(
        select(Person).where(Person.issuer == issuer, Person.subject == subject)
    ).one_or_none()
    name = nfc(name).strip() or subject
    if person is None:
        person = Person(issuer=issuer, subject=subject, name=name, personal_id=personal_id)
        session.add(person)
        changed = ["created"]
    else:
        changed = [
            f for f, v in (("name", name), ("personal_id", personal_id)) if getattr(person, f) != v
        ]
        person.name, person.personal_id = name, personal_id
    session.flush()
    if settings is not None and changed:
        record_change(
            session=session,
            settings=settings,
            action="person.sign-in",
            target={"person": person.id},
            changed=changed,
            actor={"kind": "person", "person": person.id},
        )
    return person


def get_person(*, session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}", code="unknown-person")
    return person


def list_people(*, session: Session, page: PageRequest) -> tuple[list[Person], str | None]:
    return keyset_page(session, select(Person), keys=[Person.id], page=page, scope=("people",))


def roles_of(*, session: Session, person_id: int) -> list[tuple[Role, str | None]]:
    rows = session.execute(
        select(RoleAssignment.role, Organisation.code)
        .outerjoin(Organisation, Organisation.id == RoleAssignment.organisation_id)
        .where(RoleAssignment.person_id == person_id)
        .order_by(RoleAssignment.id)
    )
    return [(Role(role), org) for role, org in rows]


def assign_role(
    *,
    session: Session,
    settings: Settings,
    person_id: int,
    role: Role,
    organisation: str | None,
    actor: dict[str, Any],
) -> list[tuple[Role, str | None]]:
    person = get_person(session=session, person_id=person_id)
    if role in PROVINCE_ONLY | PERSONAL and organisation is not None:
        raise ValidationFailed.on(
            "organisation", "role-scope", f"{role.value} is held for the whole province"
        )
    if role in ORGANISATION_ONLY and organisation is None:
        raise ValidationFailed.on(
            "organisation", "role-scope", f"{role.value} is held for one organisation"
        )
    if role is Role.citizen and not person.personal_id:
        raise ValidationFailed.on(
            "role", "role-scope", "a citizen needs a personal ID from the identity provider"
        )
    org_id = get_organisation(session=session, code=organisation).id if organisation else None
    if (role, organisation) in roles_of(session=session, person_id=person.id):
        raise Conflict(f"person {person.id} already holds {role.value}", code="role-held")
    session.add(RoleAssignment(person_id=person.id, role=role.value, organisation_id=org_id))
    return _role_changed(session, settings, "person.role-assign", person, role, organisation, actor)


def _role_changed(
    session: Session,
    settings: Settings,
    action: str,
    person: Person,
    role: Role,
    organisation: str | None,
    actor: dict[str, Any],
) -> list[tuple[Role, str | None]]:
    """A role given or taken: written, audited with who did it; the person's roles now."""
    session.flush()
    record_change(
        session=session,
        settings=settings,
        action=action,
        target={"person": person.id, "role": role.value, "organisation": organisation},
        actor=actor,
    )
    return roles_of(session=session, person_id=person.id)


def remove_role(
    *,
    session: Session,
    settings: Settings,
    person_id: int,
    role: Role,
    organisation: str | None,
    actor: dict[str, Any],
) -> list[tuple[Role, str | None]]:
    person = get_person(session=session, person_id=person_id)
    org_id = get_organisation(session=session, code=organisation).id if organisation else None
    found = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == role.value,
            RoleAssignment.organisation_id.is_(None)
            if org_id is None
            else RoleAssignment.organisation_id == org_id,
        )
    ).all()
    if not found:
        raise NotFound(f"person {person.id} does not hold {role.value}", code="role-not-held")
    for row in found:
        session.delete(row)
    return _role_changed(session, settings, "person.role-remove", person, role, organisation, actor)


def _roles(conn: Connection, person_id: int) -> frozenset[tuple[Role, str | None]]:
    rows = conn.execute(
        select(RoleAssignment.role, Organisation.code)
        .outerjoin(Organisation, Organisation.id == RoleAssignment.organisation_id)
        .where(RoleAssignment.person_id == person_id)
    )
    return frozenset((Role(role), org) for role, org in rows)


class Directory:
    """How requests find persons (http.callers.PeopleDirectory), put in the application's
    state: by personal access token, by signed-in account, and whether a person operator
    exists (which closes the break-glass token in production)."""

    def by_token(self, conn: Connection, token: str, /) -> Principal | None:
        found = tokens.live_token(conn, token)
        if found is None:
            return None
        return Principal(
            found.person_id,
            found.name,
            _roles(conn, found.person_id),
            found.permissions,
            found.id,
            read_only=found.read_only,
        )

    def by_sign_in(self, conn: Connection, who: SignedIn, /) -> Principal | None:
        row = conn.execute(
            select(Person.id, Person.name).where(
                Person.issuer == who.issuer, Person.subject == who.subject
            )
        ).first()
        return None if row is None else Principal(row.id, row.name, _roles(conn, row.id))

    def operator_exists(self, conn: Connection, /) -> bool:
        query = exists().where(RoleAssignment.role == Role.platform_operator.value)
        return bool(conn.execute(select(query)).scalar())


def record_person_added(
    *, session: Session, settings: Settings, person: Person, actor: dict[str, Any]
) -> None:
    record_change(
        session=session,
        settings=settings,
        action="person.add",
        target={"person": person.id, "issuer": person.issuer},
        actor=actor,
    )
