"""Registry routes: units (public reference data), organisations, systems, credentials, report.

Units are public; reading organisations, systems and the connection report needs a caller (the
operator or any system); everything that changes the registry requires the operator token.
The services audit every change; a route says who acts (the API's operator).
"""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status

from lienthong.errors import ValidationFailed
from lienthong.http.callers import Caller, actor_of, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.paging import Page
from lienthong.registry import organisations, report, systems, units
from lienthong.registry.catalogue import CatalogueCache
from lienthong.registry.schemas import (
    ConnectionReport,
    CredentialCreate,
    CredentialIssued,
    CredentialRead,
    ImportReport,
    Level,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    SystemCreate,
    SystemRead,
    SystemUpdate,
    UnitDetail,
    UnitLinks,
    UnitRead,
    UnitVersionRead,
)

router = APIRouter()
Version = Annotated[str | None, Query(description="Code-list version id, e.g. pre2025 or 2025")]
OnDate = Annotated[Date | None, Query(alias="date", description="Version in force on this date")]


def _who(request: Request) -> dict[str, Any]:
    """What every audited registry service takes from the request: settings and actor."""
    return {"settings": request.app.state.settings, "actor": actor_of(request)}


def _unit(unit: object) -> UnitRead:
    return UnitRead.model_validate(unit)


@router.get("/units/versions", response_model=Page[UnitVersionRead], tags=["units"])
def list_unit_versions(session: SessionDep) -> Page[UnitVersionRead]:
    """Every code-list version, oldest first (a short list: one page)."""
    found = units.list_versions(session=session)
    return Page(items=[UnitVersionRead.model_validate(v) for v in found])


@router.get("/units", response_model=Page[UnitRead], tags=["units"])
def search_units(
    session: SessionDep,
    paging: Paging,
    q: Annotated[str, Query(min_length=1, description="Name, with or without diacritics")],
    version: Version = None,
    level: str | None = None,
    within: Annotated[str | None, Query(description="Parent code")] = None,
) -> Page[UnitRead]:
    rows, nxt = units.search(
        session=session, query=q, version=version, level=level, within=within, page=paging
    )
    return Page(items=[_unit(u) for u in rows], next_cursor=nxt)


@router.get("/units/{code}", response_model=UnitDetail, tags=["units"])
async def get_unit(
    request: Request, code: str, version: Version = None, on: OnDate = None
) -> UnitDetail:
    """A unit with its ancestors and children (served from the in-process catalogue)."""
    catalogue: CatalogueCache = request.app.state.unit_catalogue
    return catalogue.get().detail(code=code, version=version, on=on)


@router.get("/units/{code}/children", response_model=Page[UnitRead], tags=["units"])
def unit_children(
    session: SessionDep, paging: Paging, code: str, version: Version = None, on: OnDate = None
) -> Page[UnitRead]:
    unit = units.get_unit(session=session, code=code, version=version, on=on)
    rows, nxt = units.children(session=session, unit=unit, page=paging)
    return Page(items=[_unit(u) for u in rows], next_cursor=nxt)


@router.get("/units/{code}/successors", response_model=UnitLinks, tags=["units"])
def unit_successors(session: SessionDep, code: str, version: Version = None) -> UnitLinks:
    unit, found = units.successors(session=session, code=code, version=version)
    return UnitLinks(unit=_unit(unit), units=[_unit(u) for u in found])


@router.get("/units/{code}/predecessors", response_model=UnitLinks, tags=["units"])
def unit_predecessors(session: SessionDep, code: str, version: Version = None) -> UnitLinks:
    unit, found = units.predecessors(session=session, code=code, version=version)
    return UnitLinks(unit=_unit(unit), units=[_unit(u) for u in found])


@router.post(
    "/organisations",
    response_model=OrganisationRead,
    tags=["organisations"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.organisations_manage)],
)
def create_organisation(
    request: Request, session: SessionDep, body: OrganisationCreate
) -> OrganisationRead:
    org = organisations.create_organisation(session=session, **_who(request), data=body)
    return organisations.to_read(org)


@router.post(
    "/organisations/import",
    response_model=ImportReport,
    tags=["organisations"],
    dependencies=[permit(P.organisations_manage)],
)
def import_organisations(
    request: Request, session: SessionDep, body: Annotated[bytes, Body(media_type="text/csv")]
) -> ImportReport:
    """Create organisations from a CSV body (``text/csv``); rejected rows are reported."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.on("body", "invalid-encoding", "the CSV must be UTF-8") from exc
    imported = organisations.import_csv(session=session, **_who(request), text=text)
    return imported


@router.get("/organisations", response_model=Page[OrganisationRead], tags=["organisations"])
def list_organisations(
    session: SessionDep,
    who: Annotated[Caller, permit(P.registry_read)],
    paging: Paging,
    level: Level | None = None,
    unit_code: str | None = None,
    sector: str | None = None,
    active: bool | None = None,
) -> Page[OrganisationRead]:
    rows, nxt = organisations.list_organisations(
        session=session,
        level=level,
        unit_code=unit_code,
        sector=sector,
        active=active,
        page=paging.for_caller(*who.identity),
    )
    return Page(items=[organisations.to_read(o) for o in rows], next_cursor=nxt)


@router.get(
    "/organisations/{code}",
    response_model=OrganisationRead,
    tags=["organisations"],
    dependencies=[permit(P.registry_read)],
)
def get_organisation(session: SessionDep, code: str) -> OrganisationRead:
    return organisations.to_read(organisations.get_organisation(session=session, code=code))


@router.patch(
    "/organisations/{code}",
    response_model=OrganisationRead,
    tags=["organisations"],
    dependencies=[permit(P.organisations_manage)],
)
def update_organisation(
    request: Request, session: SessionDep, code: str, body: OrganisationUpdate
) -> OrganisationRead:
    org = organisations.update_organisation(session=session, **_who(request), code=code, data=body)
    return organisations.to_read(org)


@router.post(
    "/organisations/{code}/deactivate",
    response_model=OrganisationRead,
    tags=["organisations"],
    dependencies=[permit(P.organisations_manage)],
)
def deactivate_organisation(request: Request, session: SessionDep, code: str) -> OrganisationRead:
    org = organisations.set_active(session=session, **_who(request), code=code, active=False)
    return organisations.to_read(org)


@router.post(
    "/organisations/{code}/activate",
    response_model=OrganisationRead,
    tags=["organisations"],
    dependencies=[permit(P.organisations_manage)],
)
def activate_organisation(request: Request, session: SessionDep, code: str) -> OrganisationRead:
    org = organisations.set_active(session=session, **_who(request), code=code, active=True)
    return organisations.to_read(org)


@router.post(
    "/organisations/{org}/systems",
    response_model=SystemRead,
    tags=["systems"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.systems_manage)],
)
def create_system(
    request: Request, session: SessionDep, org: str, body: SystemCreate
) -> SystemRead:
    system = systems.create_system(session=session, **_who(request), organisation=org, data=body)
    return systems.to_read(system)


@router.get("/organisations/{org}/systems", response_model=Page[SystemRead], tags=["systems"])
def list_systems(
    session: SessionDep, who: Annotated[Caller, permit(P.registry_read)], paging: Paging, org: str
) -> Page[SystemRead]:
    page = paging.for_caller(*who.identity)
    rows, nxt = systems.list_systems(session=session, organisation=org, page=page)
    return Page(items=[systems.to_read(s) for s in rows], next_cursor=nxt)


@router.get(
    "/organisations/{org}/systems/{code}",
    response_model=SystemRead,
    tags=["systems"],
    dependencies=[permit(P.registry_read)],
)
def get_system(session: SessionDep, org: str, code: str) -> SystemRead:
    return systems.to_read(systems.get_system(session=session, organisation=org, code=code))


@router.patch(
    "/organisations/{org}/systems/{code}",
    response_model=SystemRead,
    tags=["systems"],
    dependencies=[permit(P.systems_manage)],
)
def update_system(
    request: Request, session: SessionDep, org: str, code: str, body: SystemUpdate
) -> SystemRead:
    system = systems.update_system(
        session=session, **_who(request), organisation=org, code=code, data=body
    )
    return systems.to_read(system)


@router.post(
    "/organisations/{org}/systems/{code}/credentials",
    response_model=CredentialIssued,
    tags=["systems"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.credentials_manage)],
)
def issue_credential(
    request: Request,
    session: SessionDep,
    org: str,
    code: str,
    body: CredentialCreate | None = None,
) -> CredentialIssued:
    credential, secret = systems.issue_credential(
        session=session,
        **_who(request),
        organisation=org,
        system=code,
        tls_client_name=body.tls_client_name if body else None,
    )
    return CredentialIssued(
        client_id=credential.client_id,
        created_at=credential.created_at,
        revoked_at=None,
        tls_client_name=credential.tls_client_name,
        client_secret=secret,
    )


@router.get(
    "/organisations/{org}/systems/{code}/credentials",
    response_model=Page[CredentialRead],
    tags=["systems"],
    dependencies=[permit(P.credentials_manage)],
)
def list_credentials(session: SessionDep, org: str, code: str) -> Page[CredentialRead]:
    found = systems.list_credentials(session=session, organisation=org, system=code)
    return Page(items=[CredentialRead.model_validate(c) for c in found])


@router.post(
    "/organisations/{org}/systems/{code}/credentials/{client_id}/rotate",
    response_model=CredentialIssued,
    tags=["systems"],
    dependencies=[permit(P.credentials_manage)],
)
def rotate_credential(
    request: Request, session: SessionDep, org: str, code: str, client_id: str
) -> CredentialIssued:
    credential, secret = systems.rotate_credential(
        session=session, **_who(request), organisation=org, system=code, client_id=client_id
    )
    return CredentialIssued(
        client_id=credential.client_id,
        created_at=credential.created_at,
        revoked_at=None,
        client_secret=secret,
    )


@router.post(
    "/organisations/{org}/systems/{code}/credentials/{client_id}/revoke",
    response_model=CredentialRead,
    tags=["systems"],
    dependencies=[permit(P.credentials_manage)],
)
def revoke_credential(
    request: Request, session: SessionDep, org: str, code: str, client_id: str
) -> CredentialRead:
    credential = systems.revoke_credential(
        session=session, **_who(request), organisation=org, system=code, client_id=client_id
    )
    return CredentialRead.model_validate(credential)


@router.get(
    "/reports/connections",
    response_model=ConnectionReport,
    tags=["reports"],
    dependencies=[permit(P.registry_read)],
)
def connections(
    session: SessionDep,
    version: Version = None,
    province: Annotated[str | None, Query(description="Province code")] = None,
) -> ConnectionReport:
    return report.connection_report(session=session, version=version, province=province)
