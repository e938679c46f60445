"""Grants: a consumer asks, a data steward of the dataset's owner decides (two of them for
four eyes), the owner's stewards or the platform operator suspend, resume or revoke.

A grant reads one version of its standard (the current published one unless asked), so
publishing a new version changes nothing for its consumers until they ask for it.

Deny by default: only an approved, unexpired grant lets a system read, and only the fields,
communes and purposes it lists. Every change bumps the ``grants`` counter (read on each data
request) and is an audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import Conflict, ErrorDetail, Forbidden, NotFound, ValidationFailed
from lienthong.events import event
from lienthong.exchange.models import Grant, GrantApproval, Purpose
from lienthong.exchange.schemas import ApprovalRead, GrantRead, GrantRequest, GrantStatus
from lienthong.paging import PageRequest, keyset_page
from lienthong.registry import units
from lienthong.registry.models import InformationSystem, Unit
from lienthong.registry.owners import approvals_needed, find_owner, owned_by
from lienthong.registry.systems import run_by
from lienthong.security.models import Counter
from lienthong.standards.service import DRAFT, get_standard, retired, today, unknown

PURPOSES = {
    "public-service": "Handling an administrative procedure for the person concerned",
    "health-care": "Medical care and health insurance",
    "tax-administration": "Tax assessment and collection",
    "land-administration": "Land registration and management",
    "statistics": "Official statistics",
    "law-enforcement-court-order": "Law enforcement under a court order",
}


def seed_purposes(session: Session) -> None:
    have = set(session.scalars(select(Purpose.code)))
    session.add_all(Purpose(code=c, name=n) for c, n in PURPOSES.items() if c not in have)
    if session.get(Counter, "grants") is None:
        session.add(Counter(name="grants", value=0))
    session.flush()


def list_purposes(*, session: Session) -> list[Purpose]:
    return list(session.scalars(select(Purpose).order_by(Purpose.code)))


def bump(session: Session) -> None:
    session.execute(update(Counter).where(Counter.name == "grants").values(value=Counter.value + 1))


def communes_of(*, session: Session, codes: list[str]) -> list[str]:
    """Every commune the given units cover, in the code list in force today."""
    version = units.resolve_version(session=session)
    found: set[str] = set()
    details = []
    for code in codes:
        unit = units.find_unit(session=session, code=code, version=version.id)
        if unit is None:
            details.append(ErrorDetail("units", "unknown-unit", f"no unit {code!r}"))
            continue
        stack: list[Unit] = [unit]
        while stack:
            current = stack.pop()
            children = units.all_children(session=session, unit=current)
            if children:
                stack.extend(children)
            else:
                found.add(current.code)
    if details:
        raise ValidationFailed("unknown administrative units", details=details)
    return sorted(found)


def to_read(
    grant: Grant, system: InformationSystem, approvals_needed: int | None = None
) -> GrantRead:
    return GrantRead(
        id=grant.id,
        consumer_organisation=system.organisation.code,
        consumer_system=system.code,
        dataset=grant.dataset,
        version=grant.version,
        fields=grant.fields,
        units=grant.units,
        communes=len(grant.communes),
        purposes=grant.purposes,
        expires_on=grant.expires_on,
        status=GrantStatus(grant.status),
        decided_by=grant.decided_by,
        reason=grant.reason,
        requested_at=grant.requested_at,
        decided_at=grant.decided_at,
        approvals=[
            ApprovalRead(
                person=a.person_id, name=a.person_name, organisation=a.organisation, at=a.at
            )
            for a in grant.approvals
        ],
        approvals_needed=approvals_needed,
        suspended_by=grant.suspended_by,
        suspended_at=grant.suspended_at,
        suspension_reason=grant.suspension_reason,
    )


def _audit(
    session: Session,
    settings: Settings,
    action: str,
    grant: Grant,
    actor: dict[str, Any],
    **more: Any,
) -> None:
    record(
        session=session,
        settings=settings,
        entry=event(
            action,
            actor=actor,
            dataset=grant.dataset,
            detail={
                "grant": grant.id,
                "system_id": grant.system_id,
                "version": grant.version,
                "fields": grant.fields,
                "units": grant.units,
                "purposes": grant.purposes,
                "expires_on": grant.expires_on.isoformat(),
                "status": grant.status,
                "decided_by": grant.decided_by,
                **more,
            },
        ),
    )


def request_grant(
    *,
    session: Session,
    settings: Settings,
    system: InformationSystem,
    data: GrantRequest,
    actor: dict[str, Any],
    known_fields: list[str] | None,
    person: int | None = None,
) -> Grant:
    details = [
        ErrorDetail("fields", "unknown-field", f"no field {f!r} in {data.dataset!r}")
        for f in data.fields
        if known_fields is not None and f not in known_fields
    ]
    details += grant_problems(session, data.purposes, data.expires_on)
    if details:
        raise ValidationFailed("the grant request is not valid", details=details)
    standard = get_standard(session=session, name=data.dataset, version=data.version)
    if standard.status == DRAFT:
        raise unknown(data.dataset, data.version)
    if standard.retire_on is not None and standard.retire_on <= today():
        raise retired(standard.name, standard.version, standard.retire_on)
    return add_grant(
        session=session,
        settings=settings,
        system=system,
        dataset=data.dataset,
        version=standard.version,
        fields=data.fields,
        units=data.units,
        purposes=data.purposes,
        expires_on=data.expires_on,
        actor=actor,
        person=person,
    )


def grant_problems(session: Session, purposes: list[str], expires_on: date) -> list[ErrorDetail]:
    """What is wrong with a grant request's purposes and expiry."""
    known = set(session.scalars(select(Purpose.code)))
    details = [
        ErrorDetail("purposes", "unknown-purpose", f"no purpose {p!r}")
        for p in purposes
        if p not in known
    ]
    if expires_on <= date.today():
        details.append(ErrorDetail("expires_on", "in-the-past", "expiry must be in the future"))
    return details


def add_grant(
    *,
    session: Session,
    settings: Settings,
    system: InformationSystem,
    dataset: str,
    version: int,
    fields: list[str],
    units: list[str],
    purposes: list[str],
    expires_on: date,
    actor: dict[str, Any],
    person: int | None = None,
    details: list[ErrorDetail] | None = None,
) -> Grant:
    """Record a requested grant of ``fields`` of ``dataset`` (a standard, or a provider
    service's operations), audited; the purposes and the expiry checked with the ``details``
    the caller found already (422 with all of them)."""
    details = list(details or []) + grant_problems(session, purposes, expires_on)
    if details:
        raise ValidationFailed("the grant request is not valid", details=details)
    grant = Grant(
        system_id=system.id,
        dataset=dataset,
        version=version,
        fields=sorted(set(fields)),
        units=sorted(set(units)),
        communes=communes_of(session=session, codes=units),
        purposes=sorted(set(purposes)),
        expires_on=expires_on,
        status=GrantStatus.requested.value,
        requested_at=utcnow(),
        requested_by_person=person,
    )
    session.add(grant)
    session.flush()
    _audit(session, settings, "grant.request", grant, actor)
    return grant


def get_grant(
    *, session: Session, grant_id: int, organisations: frozenset[str] | None = None
) -> tuple[Grant, InformationSystem]:
    """The grant and its consumer system; with ``organisations``, only a grant one of them
    sees (else the same 404 as a missing grant: nothing leaks that it exists)."""
    grant = session.get(Grant, grant_id)
    system = None if grant is None else session.get(InformationSystem, grant.system_id)
    if grant is None or system is None or not _seen_by(session, grant, system, organisations):
        raise NotFound(f"no grant {grant_id}", code="unknown-grant")
    return grant, system


def _seen_by(
    session: Session,
    grant: Grant,
    system: InformationSystem,
    organisations: frozenset[str] | None,
) -> bool:
    """Whether the grant is one of these organisations': its consumer system is theirs, or
    they own its dataset (None: the province sees every grant)."""
    if organisations is None or system.organisation.code in organisations:
        return True
    owner = find_owner(session=session, dataset=grant.dataset)
    return owner is not None and owner.organisation.code in organisations


def list_grants(
    *,
    session: Session,
    system_id: int | None = None,
    organisations: frozenset[str] | None = None,
    status: str | None = None,
    dataset: str | None = None,
    page: PageRequest,
    side: str | None = None,
    newest_first: bool = False,
) -> tuple[list[Grant], str | None]:
    """Grants, oldest first (or ``newest_first``); ``system_id`` keeps a system's own,
    ``organisations`` the grants requested by their systems or on the datasets they own;
    ``side`` keeps one of the two: ``owner`` (on datasets they own: a steward's inbox) or
    ``consumer`` (requested by their systems); the province (None) sees every grant."""
    stmt = select(Grant)
    if system_id is not None:
        stmt = stmt.where(Grant.system_id == system_id)
    if organisations is not None:
        owned = Grant.dataset.in_(owned_by(organisations))
        theirs = Grant.system_id.in_(run_by(organisations))
        sides = {"owner": owned, "consumer": theirs}
        stmt = stmt.where(sides[side] if side else or_(theirs, owned))
    if status is not None:
        stmt = stmt.where(Grant.status == status)
    if dataset is not None:
        stmt = stmt.where(Grant.dataset == dataset)
    seen = None if organisations is None else sorted(organisations)
    scope = ("grants", system_id, seen, status, dataset, side, newest_first)
    return keyset_page(
        session, stmt, keys=[Grant.id], page=page, scope=scope, descending=newest_first
    )


@dataclass(frozen=True)
class Decider:
    """The data steward deciding: who, and the organisations they steward."""

    person: int
    name: str
    organisations: frozenset[str]
    actor: dict[str, Any]


def _owner_of(session: Session, grant: Grant) -> str:
    owner = find_owner(session=session, dataset=grant.dataset)
    if owner is None:
        raise Conflict(
            f"dataset {grant.dataset!r} has no owning organisation yet", code="dataset-has-no-owner"
        )
    return owner.organisation.code


def needed(session: Session, grant: Grant) -> int | None:
    owner = find_owner(session=session, dataset=grant.dataset)
    return None if owner is None else approvals_needed(owner, grant.dataset, grant.fields)


def decide(
    *,
    session: Session,
    settings: Settings,
    grant_id: int,
    approve: bool,
    decider: Decider,
    organisation: str | None = None,
    reason: str | None = None,
) -> Grant:
    """Approve or reject a requested grant as a data steward of the dataset's owner.

    Refused to anyone else and to the person who requested it (themselves, or with a token
    of theirs); a grant none of the steward's organisations sees is unknown to them. A
    steward who did not make the request decides a request of its own organisation's system
    like any other. With four eyes the grant is approved by the second approval of a
    different steward; a rejection by either is final.
    """
    grant, _ = get_grant(session=session, grant_id=grant_id, organisations=decider.organisations)
    owner = _owner_of(session, grant)
    if organisation is not None and organisation != owner:
        raise Forbidden(f"{grant.dataset!r} is owned by {owner}", code="not-the-owner")
    if owner not in decider.organisations:
        raise Forbidden(
            f"only a data steward of {owner} decides grants on {grant.dataset!r}",
            code="not-the-owner",
        )
    if grant.requested_by_person == decider.person:
        raise Forbidden("the requester cannot decide its own request", code="self-approval")
    if grant.status != GrantStatus.requested.value:
        raise Conflict(f"grant {grant_id} is {grant.status}", code="grant-not-pending")
    if any(a.person_id == decider.person for a in grant.approvals):
        raise Conflict("you already approved this grant", code="already-approved")
    action = "grant.reject"
    if approve:
        session.add(
            GrantApproval(
                grant_id=grant.id,
                person_id=decider.person,
                person_name=decider.name,
                organisation=owner,
            )
        )
        session.flush()
        session.refresh(grant, ["approvals"])
        done = len(grant.approvals) >= (needed(session, grant) or 1)
        action = "grant.approve" if done else "grant.approval"
    if action != "grant.approval":
        grant.status = (GrantStatus.approved if approve else GrantStatus.rejected).value
        grant.decided_by, grant.reason, grant.decided_at = (
            f"person:{decider.person}",
            reason,
            utcnow(),
        )
        session.flush()
        bump(session)
    _audit(session, settings, action, grant, decider.actor | {"organisation": owner})
    return grant


def _held(
    session: Session, grant_id: int, organisations: frozenset[str] | None, verb: str
) -> Grant:
    """The grant, for the platform operator (``organisations`` None) or a data steward of
    the dataset's owner; a grant the steward's organisations do not see is unknown."""
    grant, _ = get_grant(session=session, grant_id=grant_id, organisations=organisations)
    if organisations is not None and _owner_of(session, grant) not in organisations:
        raise Forbidden(
            f"only the owner of {grant.dataset!r} or the operator {verb}", code="not-the-owner"
        )
    return grant


def revoke(
    *,
    session: Session,
    settings: Settings,
    grant_id: int,
    actor: dict[str, Any],
    organisations: frozenset[str] | None = None,
    reason: str | None = None,
) -> Grant:
    """Revoke a grant (for good): the platform operator (``organisations`` None), or a data
    steward of the dataset's owner."""
    grant = _held(session, grant_id, organisations, "revokes")
    if grant.status == GrantStatus.revoked.value:
        return grant
    grant.status, grant.reason, grant.decided_at = GrantStatus.revoked.value, reason, utcnow()
    session.flush()
    bump(session)
    _audit(session, settings, "grant.revoke", grant, actor)
    return grant


def _by(actor: dict[str, Any]) -> str:
    return f"person:{actor['person']}" if actor.get("kind") == "person" else str(actor["kind"])


def suspend(
    *,
    session: Session,
    settings: Settings,
    grant_id: int,
    actor: dict[str, Any],
    reason: str,
    organisations: frozenset[str] | None = None,
) -> Grant:
    """Suspend an approved grant: its reads are refused (``grant-suspended``) until it is
    resumed. The platform operator (``organisations`` None) or a data steward of the
    dataset's owner; suspending a suspended grant changes nothing."""
    grant = _held(session, grant_id, organisations, "suspends")
    if grant.status == GrantStatus.suspended.value:
        return grant
    if grant.status != GrantStatus.approved.value:
        raise Conflict(f"grant {grant_id} is {grant.status}", code="grant-not-approved")
    grant.status = GrantStatus.suspended.value
    grant.suspended_by, grant.suspended_at, grant.suspension_reason = _by(actor), utcnow(), reason
    session.flush()
    bump(session)
    _audit(session, settings, "grant.suspend", grant, actor, reason=reason)
    return grant


def resume(
    *,
    session: Session,
    settings: Settings,
    grant_id: int,
    actor: dict[str, Any],
    reason: str | None = None,
    organisations: frozenset[str] | None = None,
) -> Grant:
    """Resume a suspended grant: it reads again as approved (until it expires). Who may is
    who may suspend; resuming an approved grant changes nothing."""
    grant = _held(session, grant_id, organisations, "resumes")
    if grant.status == GrantStatus.approved.value:
        return grant
    if grant.status != GrantStatus.suspended.value:
        raise Conflict(f"grant {grant_id} is {grant.status}", code="grant-not-approved")
    suspended = {"suspended_by": grant.suspended_by, "suspension_reason": grant.suspension_reason}
    grant.status = GrantStatus.approved.value
    grant.suspended_by = grant.suspended_at = grant.suspension_reason = None
    session.flush()
    bump(session)
    _audit(session, settings, "grant.resume", grant, actor, reason=reason, **suspended)
    return grant
