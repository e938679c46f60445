"""Organisations: state bodies at an administrative level, bound to the unit they serve.

Every change is an audit entry (``record_change``) in the caller's transaction: the face says
who acts (``actor``), the service records what changed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.errors import Conflict, ErrorDetail, LienthongError, NotFound, ValidationFailed
from lienthong.paging import PageRequest, keyset_page
from lienthong.registry import units
from lienthong.registry.models import Organisation
from lienthong.registry.schemas import (
    ImportReport,
    Level,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    RejectedRow,
)

EID = re.compile(r"^[0-9A-Z.]{1,35}$")
IMPORT_COLUMNS = ("code", "name", "level", "unit_code", "unit_version", "parent_code", "sector")


def check_eid(code: str, field: str = "code") -> str:
    """Organisation e-ID code (Decision 20/2020/QĐ-TTg): 1–35 characters of ``[0-9A-Z.]``."""
    if not EID.fullmatch(code):
        raise ValidationFailed.on(
            field, "invalid-eid", "an e-ID code has 1 to 35 characters from 0-9, A-Z and '.'"
        )
    return code


def to_read(org: Organisation) -> OrganisationRead:
    return OrganisationRead(
        code=org.code,
        name=org.name,
        level=org.level,
        unit_code=org.unit_code,
        unit_version=org.unit_version,
        parent_code=org.parent.code if org.parent else None,
        sector=org.sector,
        active=org.active,
        created_at=org.created_at,
        updated_at=org.updated_at,
    )


def find_organisation(*, session: Session, code: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.code == code)).first()


def get_organisation(*, session: Session, code: str) -> Organisation:
    org = find_organisation(session=session, code=code)
    if org is None:
        raise NotFound(f"no organisation {code!r}")
    return org


def _bind_unit(
    *, session: Session, level: Level, unit_code: str | None, unit_version: str | None
) -> tuple[str | None, str | None]:
    """Check that the unit exists in its version and matches the organisation's level."""
    if unit_code is None:
        if level is Level.central:
            return None, None
        raise ValidationFailed.on(
            "unit_code",
            "missing-unit",
            f"a {level.value} organisation must name the unit it serves",
        )
    version = units.resolve_version(session=session, version=unit_version)
    unit = units.find_unit(session=session, code=unit_code, version=version.id)
    if unit is None:
        raise ValidationFailed.on(
            "unit_code", "unknown-unit", f"no unit {unit_code!r} in version {version.id!r}"
        )
    if level is not Level.central and unit.level != level.value:
        raise ValidationFailed.on(
            "unit_code",
            "unit-level-mismatch",
            f"unit {unit_code!r} is a {unit.level}, not a {level.value}",
        )
    return unit.code, version.id


def _parent(*, session: Session, parent_code: str | None, own_code: str) -> Organisation | None:
    if parent_code is None:
        return None
    check_eid(parent_code, "parent_code")
    if parent_code == own_code:
        raise ValidationFailed.on(
            "parent_code", "invalid-parent", "an organisation cannot be its own parent"
        )
    parent = find_organisation(session=session, code=parent_code)
    if parent is None:
        raise ValidationFailed.on(
            "parent_code", "unknown-organisation", f"no organisation {parent_code!r}"
        )
    return parent


def audit_change(
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    action: str,
    org: Organisation | None,
    changed: BaseModel | None = None,
    **more: str,
) -> None:
    """The audit entry of a registry change: the organisation (and ``more``: its system, a
    client id) and the fields changed — no values, never a secret."""
    target = {"organisation": org.code, **more} if org is not None else {}
    record_change(
        session=session,
        settings=settings,
        action=action,
        target=target,
        changed=changed,
        actor=actor,
    )


def create_organisation(
    *, session: Session, settings: Settings, actor: Mapping[str, Any], data: OrganisationCreate
) -> Organisation:
    org = _create(session=session, data=data)
    audit_change(session, settings, actor, "organisation.create", org)
    return org


def _create(*, session: Session, data: OrganisationCreate) -> Organisation:
    check_eid(data.code)
    if find_organisation(session=session, code=data.code) is not None:
        raise Conflict(
            f"organisation {data.code!r} already exists",
            code="organisation-exists",
            details=[ErrorDetail("code", "organisation-exists", "code is taken")],
        )
    unit_code, unit_version = _bind_unit(
        session=session, level=data.level, unit_code=data.unit_code, unit_version=data.unit_version
    )
    org = Organisation(
        code=data.code,
        name=data.name,
        level=data.level.value,
        unit_code=unit_code,
        unit_version=unit_version,
        sector=data.sector,
        active=True,
        parent=_parent(session=session, parent_code=data.parent_code, own_code=data.code),
    )
    session.add(org)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same code
        raise Conflict(
            f"organisation {data.code!r} already exists", code="organisation-exists"
        ) from exc
    return org


def update_organisation(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    code: str,
    data: OrganisationUpdate,
) -> Organisation:
    org = get_organisation(session=session, code=code)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and data.name is not None:
        org.name = data.name
    if "sector" in changes:
        org.sector = data.sector
    if {"level", "unit_code", "unit_version"} & changes.keys():
        level = data.level or Level(org.level)
        unit_code = changes.get("unit_code", org.unit_code)
        version = changes.get(
            "unit_version", org.unit_version if "unit_code" not in changes else None
        )
        org.level = level.value
        org.unit_code, org.unit_version = _bind_unit(
            session=session, level=level, unit_code=unit_code, unit_version=version
        )
    if "parent_code" in changes:
        parent = _parent(session=session, parent_code=data.parent_code, own_code=org.code)
        ancestor = parent
        while ancestor is not None:
            if ancestor.id == org.id:
                raise ValidationFailed.on(
                    "parent_code", "invalid-parent", "the parent chain would form a cycle"
                )
            ancestor = ancestor.parent
        org.parent = parent
    session.flush()
    audit_change(session, settings, actor, "organisation.update", org, data)
    return org


def set_active(
    *, session: Session, settings: Settings, actor: Mapping[str, Any], code: str, active: bool
) -> Organisation:
    org = get_organisation(session=session, code=code)
    org.active = active
    session.flush()
    action = "organisation.activate" if active else "organisation.deactivate"
    audit_change(session, settings, actor, action, org)
    return org


def list_organisations(
    *,
    session: Session,
    level: Level | None = None,
    unit_code: str | None = None,
    sector: str | None = None,
    active: bool | None = None,
    codes: frozenset[str] | None = None,
    page: PageRequest,
) -> tuple[list[Organisation], str | None]:
    """A page of organisations by code; ``codes`` keeps only those (None: every one)."""
    stmt = select(Organisation)
    if codes is not None:
        stmt = stmt.where(Organisation.code.in_(sorted(codes)))
    if level is not None:
        stmt = stmt.where(Organisation.level == level.value)
    if unit_code is not None:
        stmt = stmt.where(Organisation.unit_code == unit_code)
    if sector is not None:
        stmt = stmt.where(Organisation.sector == sector)
    if active is not None:
        stmt = stmt.where(Organisation.active == active)
    kept = None if codes is None else sorted(codes)
    scope = ("organisations", level, unit_code, sector, active, kept)
    return keyset_page(session, stmt, keys=[Organisation.code], page=page, scope=scope)


def _rejections(row: int, exc: Exception) -> list[RejectedRow]:
    if isinstance(exc, ValidationError):
        return [
            RejectedRow(
                row=row,
                field=".".join(str(p) for p in err["loc"]) or None,
                code=err["type"].replace("_", "-"),
                message=err["msg"],
            )
            for err in exc.errors()
        ]
    assert isinstance(exc, LienthongError)
    if exc.details:
        return [RejectedRow(row=row, **d.as_dict()) for d in exc.details]
    return [RejectedRow(row=row, field=None, code=exc.code, message=exc.message)]


def import_csv(
    *, session: Session, settings: Settings, actor: Mapping[str, Any], text: str
) -> ImportReport:
    """Create organisations from CSV; invalid rows are reported (row = line in the file).

    A parent must exist already or appear on an earlier line. The import is one audit entry.
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("code", "name", "level") if c not in header]
    if missing:
        raise ValidationFailed(
            "the CSV lacks required columns",
            details=[
                ErrorDetail(c, "missing-column", f"column {c!r} is required") for c in missing
            ],
        )
    unknown = [c for c in header if c not in IMPORT_COLUMNS]
    if unknown:
        raise ValidationFailed(
            "the CSV has unknown columns",
            details=[
                ErrorDetail(c, "unknown-column", f"column {c!r} is not known") for c in unknown
            ],
        )
    created = 0
    rejected: list[RejectedRow] = []
    read = 0
    for index, raw in enumerate(reader):
        read += 1
        line = index + 2  # the header is line 1
        values: dict[str, Any] = {
            k.strip(): (v.strip() or None)
            for k, v in raw.items()
            if k is not None and v is not None
        }
        if None in raw:
            rejected.append(
                RejectedRow(
                    row=line,
                    field=None,
                    code="extra-values",
                    message="the row has more values than the header",
                )
            )
            continue
        try:
            _create(session=session, data=OrganisationCreate(**values))
            created += 1
        except (ValidationError, ValidationFailed, Conflict) as exc:
            rejected.extend(_rejections(line, exc))
    audit_change(session, settings, actor, "organisation.import", None)
    return ImportReport(read=read, created=created, rejected=rejected)
