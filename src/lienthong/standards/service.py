"""Standards: create drafts, publish (immutable, with a breaking-change report), deprecate."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.db import utcnow
from lienthong.errors import Conflict, NotFound
from lienthong.paging import PageRequest, keyset_page
from lienthong.standards.codelists import ensure_builtin_codelists
from lienthong.standards.models import Standard
from lienthong.standards.schema import StandardSpec, breaking_changes, parse_standard

BUILTIN = (
    "citizen",
    "business",
    "land_parcel",
    "health_insurance",
    "public_service",
    "public_service_monthly",
)
DRAFT, PUBLISHED, DEPRECATED = "draft", "published", "deprecated"


def builtin_document(name: str) -> dict[str, Any]:
    text = resources.files("lienthong.standards").joinpath("data", f"{name}.json").read_text()
    document: dict[str, Any] = json.loads(text)
    return document


def ensure_builtin_standards(session: Session) -> bool:
    """Publish the built-in standards and code lists once; True if anything was added."""
    loaded = ensure_builtin_codelists(session)
    present = set(tuple(r) for r in session.execute(select(Standard.name, Standard.version)))
    for name in BUILTIN:
        document = builtin_document(name)
        if (name, document["version"]) in present:
            continue
        parse_standard(document)
        now = utcnow()
        session.add(
            Standard(
                name=name,
                version=document["version"],
                status=PUBLISHED,
                title=document.get("title", name),
                document=document,
                breaking=[],
                created_at=now,
                published_at=now,
            )
        )
        loaded = True
    session.flush()
    return loaded


def unknown(name: str, version: int | None = None) -> NotFound:
    what = f"{name!r} version {version}" if version else repr(name)
    return NotFound(f"no standard {what}", code="unknown-standard")


def get_standard(
    *, session: Session, name: str, version: int | None = None, published_only: bool = True
) -> Standard:
    """A version, or the latest published one (any status when ``published_only`` is off)."""
    stmt = select(Standard).where(Standard.name == name)
    if version is not None:
        found = session.scalars(stmt.where(Standard.version == version)).first()
    else:
        if published_only:
            stmt = stmt.where(Standard.status == PUBLISHED)
        found = session.scalars(stmt.order_by(Standard.version.desc())).first()
    if found is None:
        raise unknown(name, version)
    return found


def spec_of(standard: Standard) -> StandardSpec:
    return parse_standard(standard.document)


def list_standards(
    *,
    session: Session,
    status: str | None = None,
    page: PageRequest,
) -> tuple[list[Standard], str | None]:
    stmt = select(Standard)
    if status:
        stmt = stmt.where(Standard.status == status)
    scope = ("standards", status)
    return keyset_page(session, stmt, keys=[Standard.id], page=page, scope=scope)


def create_standard(*, session: Session, document: dict[str, Any]) -> Standard:
    """Add a draft; its version defaults to one more than the highest existing."""
    document = dict(document)
    name = document.get("name")
    latest = session.scalar(select(func.max(Standard.version)).where(Standard.name == name))
    document.setdefault("version", (latest or 0) + 1)
    parse_standard(document)
    exists = session.scalars(
        select(Standard).where(Standard.name == name, Standard.version == document["version"])
    ).first()
    if exists is not None:
        raise Conflict(
            f"standard {name!r} version {document['version']} exists", code="standard-exists"
        )
    standard = Standard(
        name=document["name"],
        version=document["version"],
        status=DRAFT,
        title=document.get("title", document["name"]),
        document=document,
    )
    session.add(standard)
    session.flush()
    return standard


def update_draft(
    *, session: Session, name: str, version: int, document: dict[str, Any]
) -> Standard:
    standard = get_standard(session=session, name=name, version=version)
    if standard.status != DRAFT:
        raise Conflict(
            f"standard {name!r} version {version} is {standard.status} and immutable",
            code="standard-immutable",
        )
    document = {**document, "name": name, "version": version}
    parse_standard(document)
    standard.document = document
    standard.title = document.get("title", name)
    session.flush()
    return standard


def publish(*, session: Session, name: str, version: int) -> Standard:
    """Publish a draft; report breaking changes against the latest published version."""
    standard = get_standard(session=session, name=name, version=version)
    if standard.status != DRAFT:
        raise Conflict(
            f"only a draft can be published (this is {standard.status})", code="standard-immutable"
        )
    previous = session.scalars(
        select(Standard)
        .where(Standard.name == name, Standard.status == PUBLISHED, Standard.version < version)
        .order_by(Standard.version.desc())
    ).first()
    spec = spec_of(standard)
    standard.breaking = breaking_changes(spec_of(previous), spec) if previous else []
    standard.status = PUBLISHED
    standard.published_at = utcnow()
    session.flush()
    return standard


def deprecate(*, session: Session, name: str, version: int) -> Standard:
    standard = get_standard(session=session, name=name, version=version)
    if standard.status != PUBLISHED:
        raise Conflict("only a published standard can be deprecated", code="standard-not-published")
    standard.status = DEPRECATED
    standard.deprecated_at = utcnow()
    session.flush()
    return standard
