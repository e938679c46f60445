"""Registering provider services and asking to call them.

A provider system registers a service from its OpenAPI document; the platform keeps the
operations it declares. Its own organisation owns the service's grants (the dataset name
``service:<name>`` in the exchange's grants and owners), so the exchange's grant flow — a
request, a data steward's approval, suspension, revocation — is the one that governs calls.
A grant's ``fields`` are the operation ids it allows. Every change is audited in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import Conflict, ErrorDetail, NotFound, ValidationFailed
from lienthong.exchange.grants import add_grant
from lienthong.exchange.models import Grant
from lienthong.providers.models import ProviderService
from lienthong.providers.openapi import parse
from lienthong.providers.schemas import (
    OperationRead,
    ServiceGrantRequest,
    ServiceRead,
    ServiceRegister,
)
from lienthong.registry import owners
from lienthong.registry.models import InformationSystem
from lienthong.registry.systems import get_system

PREFIX = "service:"
SERVICE_GRANT_VERSION = 1  # a service's grants are not tied to a standard version


def dataset_of(name: str) -> str:
    """The name a service's grants and owner are kept under in the exchange."""
    return PREFIX + name


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationFailed.on("base_url", "invalid-base-url", "an http(s) URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValidationFailed.on(
            "base_url",
            "invalid-base-url",
            "the base URL carries no credentials, query or fragment",
        )
    return url.rstrip("/")


def register_service(
    *,
    session: Session,
    settings: Settings,
    data: ServiceRegister,
    actor: Mapping[str, Any],
) -> ProviderService:
    """Register ``data.name`` for the provider system, or register it again (a new document,
    URL or limits: the next revision). A name registered by another system is refused."""
    base_url = _base_url(data.base_url)
    document = parse(data.document)
    system = get_system(session=session, organisation=data.organisation, code=data.system)
    found = session.scalars(
        select(ProviderService).where(ProviderService.name == data.name)
    ).first()
    if found is not None and found.system_id != system.id:
        raise Conflict(
            f"service {data.name!r} belongs to another system",
            code="service-exists",
            details=[ErrorDetail("name", "service-exists", "the name is taken")],
        )
    values = {
        "base_url": base_url,
        "health_path": data.health_path,
        "title": document.title,
        "document_version": document.version,
        "operations": [o.as_dict() for o in document.operations],
        "document": data.document,
        "timeout_seconds": data.timeout_seconds,
        "max_response_bytes": data.max_response_bytes,
        "registered_at": utcnow(),
    }
    if found is None:
        found = ProviderService(name=data.name, system_id=system.id, revision=1, **values)
        session.add(found)
    else:
        for key, value in values.items():
            setattr(found, key, value)
        found.revision += 1
    session.flush()
    if owners.find_owner(session=session, dataset=dataset_of(data.name)) is None:
        owners.set_owner(
            session=session,
            settings=settings,
            dataset=dataset_of(data.name),
            organisation=data.organisation,
            four_eyes=None,
            actor=dict(actor),
        )
    record_change(
        session=session,
        settings=settings,
        action="provider.register",
        target={
            "service": data.name,
            "organisation": data.organisation,
            "system": data.system,
            "revision": found.revision,
            "operations": len(document.operations),
        },
        changed=["base_url", "document", "timeout_seconds", "max_response_bytes"],
        actor=actor,
    )
    return found


def get_service(*, session: Session, name: str) -> ProviderService:
    found = session.scalars(select(ProviderService).where(ProviderService.name == name)).first()
    if found is None:
        raise NotFound(f"no provider service {name!r}", code="unknown-service")
    return found


def list_services(*, session: Session) -> list[ProviderService]:
    return list(session.scalars(select(ProviderService).order_by(ProviderService.name)))


def to_read(session: Session, service: ProviderService) -> ServiceRead:
    system = session.get(InformationSystem, service.system_id)
    assert system is not None
    return ServiceRead(
        name=service.name,
        organisation=system.organisation.code,
        system=system.code,
        base_url=service.base_url,
        health_path=service.health_path,
        title=service.title,
        document_version=service.document_version,
        timeout_seconds=service.timeout_seconds,
        max_response_bytes=service.max_response_bytes,
        revision=service.revision,
        registered_at=service.registered_at,
        operations=[OperationRead(**o) for o in service.operations],
    )


def request_service_grant(
    *,
    session: Session,
    settings: Settings,
    service: str,
    consumer: InformationSystem,
    data: ServiceGrantRequest,
    actor: dict[str, Any],
    person: int | None = None,
) -> Grant:
    """A grant request for ``consumer`` to call these operations of the service (the
    exchange's grant, decided by a data steward of the provider's organisation)."""
    found = get_service(session=session, name=service)
    declared = {o["id"] for o in found.operations}
    details = [
        ErrorDetail("operations", "unknown-operation", f"{service!r} declares no {op!r}")
        for op in data.operations
        if op not in declared
    ]
    return add_grant(
        session=session,
        settings=settings,
        system=consumer,
        dataset=dataset_of(service),
        version=SERVICE_GRANT_VERSION,
        fields=data.operations,
        units=[],
        purposes=data.purposes,
        expires_on=data.expires_on,
        actor=actor,
        person=person,
        details=details,
    )
