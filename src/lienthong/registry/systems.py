"""Information systems and their client credentials (secret shown once, stored as a hash).

Every change is an audit entry in the caller's transaction, naming the system and, for a
credential, its client id — never a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import Conflict, ErrorDetail, NotFound
from lienthong.paging import PageRequest, keyset_page
from lienthong.registry.models import Credential, InformationSystem, Organisation
from lienthong.registry.organisations import audit_change, get_organisation
from lienthong.registry.schemas import SystemCreate, SystemRead, SystemStatus, SystemUpdate

CLIENT_PREFIX = "ltc_"
SECRET_PREFIX = "lts_"  # noqa: S105 - a public prefix, not a secret


def hash_secret(secret: str) -> str:
    """SHA-256 of a random 256-bit secret: brute force is hopeless, so no slow KDF is needed
    and every token request stays cheap."""
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def verify_secret(secret: str, stored: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored)


def to_read(system: InformationSystem) -> SystemRead:
    return SystemRead(
        organisation_code=system.organisation.code,
        code=system.code,
        name=system.name,
        status=system.status,
        last_seen_at=system.last_seen_at,
        created_at=system.created_at,
    )


def create_system(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    organisation: str,
    data: SystemCreate,
) -> InformationSystem:
    org = get_organisation(session=session, code=organisation)
    if find_system(session=session, organisation=org, code=data.code) is not None:
        raise Conflict(
            f"system {data.code!r} already exists in {organisation!r}",
            code="system-exists",
            details=[ErrorDetail("code", "system-exists", "code is taken")],
        )
    system = InformationSystem(
        organisation=org, code=data.code, name=data.name, status=SystemStatus.registered.value
    )
    session.add(system)
    session.flush()
    audit_change(session, settings, actor, "system.create", org, system=system.code)
    return system


def find_system(
    *, session: Session, organisation: Organisation, code: str
) -> InformationSystem | None:
    stmt = select(InformationSystem).where(
        InformationSystem.organisation_id == organisation.id, InformationSystem.code == code
    )
    return session.scalars(stmt).first()


def run_by(organisations: Collection[str]) -> Select[int]:
    """The ids of the systems these organisations run, as a subquery."""
    return (
        select(InformationSystem.id)
        .join(Organisation, Organisation.id == InformationSystem.organisation_id)
        .where(Organisation.code.in_(sorted(organisations)))
    )


def get_system(*, session: Session, organisation: str, code: str) -> InformationSystem:
    org = get_organisation(session=session, code=organisation)
    system = find_system(session=session, organisation=org, code=code)
    if system is None:
        raise NotFound(f"no system {code!r} in organisation {organisation!r}")
    return system


def list_systems(
    *, session: Session, organisation: str, page: PageRequest
) -> tuple[list[InformationSystem], str | None]:
    org = get_organisation(session=session, code=organisation)
    stmt = select(InformationSystem).where(InformationSystem.organisation_id == org.id)
    scope = ("systems", org.code)
    return keyset_page(session, stmt, keys=[InformationSystem.code], page=page, scope=scope)


def list_all_systems(
    *,
    session: Session,
    organisations: frozenset[str] | None,
    status: SystemStatus | None = None,
    page: PageRequest,
) -> tuple[list[InformationSystem], str | None]:
    """Systems of every organisation (or of ``organisations``), in registration order."""
    stmt = select(InformationSystem).join(
        Organisation, Organisation.id == InformationSystem.organisation_id
    )
    if organisations is not None:
        stmt = stmt.where(Organisation.code.in_(sorted(organisations)))
    if status is not None:
        stmt = stmt.where(InformationSystem.status == status.value)
    kept = None if organisations is None else sorted(organisations)
    scope = ("systems.all", kept, status)
    return keyset_page(session, stmt, keys=[InformationSystem.id], page=page, scope=scope)


def update_system(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    organisation: str,
    code: str,
    data: SystemUpdate,
) -> InformationSystem:
    system = get_system(session=session, organisation=organisation, code=code)
    if data.name is not None:
        system.name = data.name
    if data.status is not None:
        system.status = data.status.value
    session.flush()
    audit_change(
        session, settings, actor, "system.update", system.organisation, data, system=system.code
    )
    return system


def touch(*, session: Session, system: InformationSystem) -> None:
    """Record that the system was seen (it authenticated or called the platform)."""
    system.last_seen_at = utcnow()
    session.flush()


def _audit_credential(
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    action: str,
    system: InformationSystem,
    **credential: str,
) -> None:
    audit_change(
        session,
        settings,
        actor,
        action,
        system.organisation,
        None,
        system=system.code,
        **credential,
    )


def issue_credential(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    organisation: str,
    system: str,
    tls_client_name: str | None = None,
) -> tuple[Credential, str | None]:
    """A new client credential; the plain secret is returned once and never stored.

    With ``tls_client_name`` (a certificate's subject DN or subject alternative name) the
    credential authenticates with that TLS client certificate instead (``tls_client_auth``,
    RFC 8705) and has no secret.
    """
    target = get_system(session=session, organisation=organisation, code=system)
    secret = None if tls_client_name else SECRET_PREFIX + secrets.token_urlsafe(32)
    credential = Credential(
        system_id=target.id,
        client_id=CLIENT_PREFIX + secrets.token_hex(12),
        secret_hash=hash_secret(secret) if secret else "",
        tls_client_name=tls_client_name or None,
    )
    session.add(credential)
    session.flush()
    names = {"tls_client_name": tls_client_name} if tls_client_name else {}
    _audit_credential(
        session,
        settings,
        actor,
        "credential.issue",
        target,
        client_id=credential.client_id,
        **names,
    )
    return credential, secret


def list_credentials(*, session: Session, organisation: str, system: str) -> list[Credential]:
    target = get_system(session=session, organisation=organisation, code=system)
    stmt = select(Credential).where(Credential.system_id == target.id).order_by(Credential.id)
    return list(session.scalars(stmt))


def _credential(
    *, session: Session, organisation: str, system: str, client_id: str
) -> tuple[Credential, InformationSystem]:
    target = get_system(session=session, organisation=organisation, code=system)
    stmt = select(Credential).where(
        Credential.system_id == target.id, Credential.client_id == client_id
    )
    credential = session.scalars(stmt).first()
    if credential is None:
        raise NotFound(f"no credential {client_id!r} for system {system!r}")
    return credential, target


def rotate_credential(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    organisation: str,
    system: str,
    client_id: str,
) -> tuple[Credential, str]:
    """A new secret for the same client id; the old secret stops working at once.

    The entry names the credential as it is after the rotation (``client_id``) and the one it
    replaces (``replaces``): the same id today, distinct should rotation ever issue a new one."""
    credential, target = _credential(
        session=session, organisation=organisation, system=system, client_id=client_id
    )
    if credential.revoked_at is not None:
        raise Conflict(f"credential {client_id!r} is revoked", code="credential-revoked")
    if credential.tls_client_name is not None:
        raise Conflict(
            f"credential {client_id!r} authenticates with a certificate and has no secret; "
            "issue a new credential for a new certificate",
            code="certificate-credential",
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    credential.secret_hash = hash_secret(secret)
    session.flush()
    _audit_credential(
        session,
        settings,
        actor,
        "credential.rotate",
        target,
        client_id=credential.client_id,
        replaces=client_id,
    )
    return credential, secret


def revoke_credential(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    organisation: str,
    system: str,
    client_id: str,
) -> Credential:
    credential, target = _credential(
        session=session, organisation=organisation, system=system, client_id=client_id
    )
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
        session.flush()
    _audit_credential(session, settings, actor, "credential.revoke", target, client_id=client_id)
    return credential
