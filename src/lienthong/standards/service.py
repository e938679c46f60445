"""Standards: create drafts, publish (immutable; a version with breaking changes only when
told so, with a reason), deprecate, and retire on an announced day.

Each version is a major version: consumers' grants name one (exchange), and a version stays
served until its retirement day.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from importlib import resources
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import Conflict, ErrorDetail, Gone, NotFound, ValidationFailed
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
PUBLIC = (PUBLISHED, DEPRECATED)  # what anyone may list and read; drafts are the operator's


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
    *,
    session: Session,
    name: str,
    version: int | None = None,
    published_only: bool = True,
    drafts: bool = True,
) -> Standard:
    """A version, or the latest published one (any status when ``published_only`` is off);
    a draft version is unknown when ``drafts`` is off (the public read)."""
    stmt = select(Standard).where(Standard.name == name)
    if not drafts:
        stmt = stmt.where(Standard.status.in_(PUBLIC))
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
    drafts: bool = True,
) -> tuple[list[Standard], str | None]:
    """Versions in id order; without drafts when ``drafts`` is off (the public listing)."""
    stmt = select(Standard)
    if status:
        stmt = stmt.where(Standard.status == status)
    if not drafts:
        stmt = stmt.where(Standard.status.in_(PUBLIC))
    scope = ("standards", status, drafts)
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


def publish(
    *,
    session: Session,
    settings: Settings,
    name: str,
    version: int,
    actor: Mapping[str, Any],
    breaking: bool = False,
    reason: str | None = None,
) -> Standard:
    """Publish a draft, compared with the latest published version.

    A version with breaking changes is refused (``breaking-change-unconfirmed``, one detail
    per change) unless ``breaking`` is set with a ``reason``; the reason is kept with the
    version. The publication is an audit entry in the same transaction.
    """
    standard = get_standard(session=session, name=name, version=version)
    if standard.status != DRAFT:
        raise Conflict(
            f"only a draft can be published (this is {standard.status})", code="standard-immutable"
        )
    reason = (reason or "").strip() or None
    if breaking and reason is None:
        raise ValidationFailed.on(
            "reason", "breaking-reason-required", "a breaking version needs a reason"
        )
    previous = session.scalars(
        select(Standard)
        .where(Standard.name == name, Standard.status == PUBLISHED, Standard.version < version)
        .order_by(Standard.version.desc())
    ).first()
    changes = breaking_changes(spec_of(previous), spec_of(standard)) if previous else []
    if changes and not breaking:
        raise Conflict(
            f"{name} v{version} breaks consumers of v{previous.version if previous else '?'}: "
            f"{len(changes)} breaking change(s); publish with --breaking and a reason",
            code="breaking-change-unconfirmed",
            details=[ErrorDetail(c["field"], c["code"], c["message"]) for c in changes],
        )
    standard.breaking = changes
    standard.breaking_reason = reason if changes else None
    standard.status = PUBLISHED
    standard.published_at = utcnow()
    session.flush()
    record_change(
        session=session,
        settings=settings,
        action="standard.publish",
        target={
            "standard": name,
            "version": version,
            "breaking": [f"{c['field']}:{c['code']}" for c in changes],
            "reason": standard.breaking_reason,
        },
        actor=actor,
    )
    return standard


def deprecate(*, session: Session, name: str, version: int) -> Standard:
    standard = get_standard(session=session, name=name, version=version)
    if standard.status != PUBLISHED:
        raise Conflict("only a published standard can be deprecated", code="standard-not-published")
    standard.status = DEPRECATED
    standard.deprecated_at = utcnow()
    session.flush()
    return standard


def today() -> date:
    """The day retirement is judged by (UTC, as the ``Sunset`` header says)."""
    return utcnow().date()


def retire(
    *,
    session: Session,
    settings: Settings,
    name: str,
    version: int,
    on: date,
    actor: Mapping[str, Any],
) -> Standard:
    """Announce the day from which ``version`` is no longer served (deprecating it now).

    Only a published (or deprecated) version with a later published version can be retired,
    and only on a future day; announcing again moves the day. Audited in the same transaction.
    (exchange.versions wraps this so that cached grants see the announcement at once.)
    """
    standard = get_standard(session=session, name=name, version=version)
    if standard.status not in PUBLIC:
        raise Conflict(
            "only a published version can be deprecated or retired", code="standard-not-published"
        )
    if on <= today():
        raise ValidationFailed.on(
            "on", "retire-date-not-future", f"{on.isoformat()} is not after today (UTC)"
        )
    later = session.scalar(
        select(func.max(Standard.version)).where(
            Standard.name == name, Standard.status == PUBLISHED, Standard.version > version
        )
    )
    if later is None:
        raise Conflict(
            f"{name} v{version} has no later published version to move to",
            code="standard-version-current",
        )
    standard.retire_on = on
    if standard.status == PUBLISHED:
        standard.status, standard.deprecated_at = DEPRECATED, utcnow()
    session.flush()
    record_change(
        session=session,
        settings=settings,
        action="standard.retire",
        target={"standard": name, "version": version, "retire_on": on.isoformat()},
        actor=actor,
    )
    return standard


def retirement_headers(retire_on: date, deprecated_at: datetime | None) -> dict[str, str]:
    """``Sunset`` (RFC 8594: the retirement day, 00:00 UTC) and ``Deprecation`` (RFC 9745:
    when it was announced) of a version whose retirement is announced."""
    sunset = datetime.combine(retire_on, time(), tzinfo=UTC)
    headers = {"Sunset": format_datetime(sunset, usegmt=True)}
    if deprecated_at is not None:
        stamp = deprecated_at if deprecated_at.tzinfo else deprecated_at.replace(tzinfo=UTC)
        headers["Deprecation"] = f"@{int(stamp.timestamp())}"
    return headers


def retired(name: str, version: int, retire_on: date) -> Gone:
    """The answer for a version past its retirement day."""
    return Gone(
        f"{name} v{version} was retired on {retire_on.isoformat()} and is no longer served",
        code="standard-version-retired",
        headers=retirement_headers(retire_on, None),
    )
