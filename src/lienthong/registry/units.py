"""Administrative-unit queries. A code is always read with its version (or a date)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lienthong.errors import NotFound, ValidationFailed
from lienthong.paging import PageRequest, keyset_page
from lienthong.registry.models import Unit, UnitSuccession, UnitVersion
from lienthong.text import fold


def list_versions(*, session: Session) -> list[UnitVersion]:
    return list(
        session.scalars(
            select(UnitVersion).order_by(
                UnitVersion.effective_to.is_(None), UnitVersion.effective_to
            )
        )
    )


class VersionLike(Protocol):
    id: str
    effective_from: date | None
    effective_to: date | None


V = TypeVar("V", bound=VersionLike)


def pick_version(versions: Sequence[V], *, version: str | None = None, on: date | None = None) -> V:
    """A version by id, else the one in force on ``on``, else the one in force today."""
    if version is not None:
        for candidate in versions:
            if candidate.id == version:
                return candidate
        raise ValidationFailed.on(
            "version", "unknown-unit-version", f"unknown unit version {version!r}"
        )
    day = on or date.today()
    for candidate in versions:
        starts = candidate.effective_from is None or candidate.effective_from <= day
        ends = candidate.effective_to is None or day <= candidate.effective_to
        if starts and ends:
            return candidate
    raise NotFound(f"no administrative-unit version is in force on {day.isoformat()}")


def resolve_version(
    *, session: Session, version: str | None = None, on: date | None = None
) -> UnitVersion:
    return pick_version(list_versions(session=session), version=version, on=on)


def find_unit(*, session: Session, code: str, version: str) -> Unit | None:
    return session.get(Unit, (version, code))


def get_unit(
    *, session: Session, code: str, version: str | None = None, on: date | None = None
) -> Unit:
    resolved = resolve_version(session=session, version=version, on=on)
    unit = find_unit(session=session, code=code, version=resolved.id)
    if unit is None:
        raise NotFound(f"no unit {code!r} in version {resolved.id!r}")
    return unit


def children(*, session: Session, unit: Unit, page: PageRequest) -> tuple[list[Unit], str | None]:
    stmt = select(Unit).where(Unit.version_id == unit.version_id, Unit.parent_code == unit.code)
    scope = ("units.children", unit.version_id, unit.code)
    return keyset_page(session, stmt, keys=[Unit.code], page=page, scope=scope)


def all_children(*, session: Session, unit: Unit) -> list[Unit]:
    stmt = select(Unit).where(Unit.version_id == unit.version_id, Unit.parent_code == unit.code)
    return list(session.scalars(stmt.order_by(Unit.code)))


def ancestors(*, session: Session, unit: Unit) -> list[Unit]:
    """From the unit's parent up to its province."""
    chain: list[Unit] = []
    current = unit
    while current.parent_code:
        parent = find_unit(session=session, code=current.parent_code, version=current.version_id)
        if parent is None:
            break
        chain.append(parent)
        current = parent
    return chain


def province_of(*, session: Session, unit: Unit) -> Unit:
    chain = ancestors(session=session, unit=unit)
    return chain[-1] if chain else unit


def search(
    *,
    session: Session,
    query: str,
    version: str | None = None,
    level: str | None = None,
    within: str | None = None,
    page: PageRequest,
) -> tuple[list[Unit], str | None]:
    """Units whose name contains ``query``, ignoring case and diacritics (``hung yen``)."""
    folded = fold(query)
    if not folded:
        raise ValidationFailed.on("q", "empty-query", "the search text is empty")
    stmt = select(Unit).where(Unit.folded_name.contains(folded, autoescape=True))
    if version is not None:
        stmt = stmt.where(Unit.version_id == resolve_version(session=session, version=version).id)
    if level is not None:
        stmt = stmt.where(Unit.level == level)
    if within is not None:
        stmt = stmt.where(or_(Unit.parent_code == within, Unit.code == within))
    scope = ("units.search", folded, version, level, within)
    return keyset_page(session, stmt, keys=[Unit.version_id, Unit.code], page=page, scope=scope)


def _latest_of(*, session: Session, ids: set[str]) -> str | None:
    for version in reversed(list_versions(session=session)):
        if version.id in ids:
            return version.id
    return None


def successors(
    *, session: Session, code: str, version: str | None = None
) -> tuple[Unit, list[Unit]]:
    """Units that took over ``code``; without a version, the latest version it was retired from."""
    if version is None:
        retired_from = select(UnitSuccession.from_version).where(UnitSuccession.from_code == code)
        version = _latest_of(session=session, ids=set(session.scalars(retired_from)))
    unit = get_unit(session=session, code=code, version=version)
    stmt = (
        select(Unit)
        .join(
            UnitSuccession,
            (UnitSuccession.to_version == Unit.version_id) & (UnitSuccession.to_code == Unit.code),
        )
        .where(UnitSuccession.from_version == unit.version_id, UnitSuccession.from_code == code)
        .order_by(Unit.code)
    )
    return unit, list(session.scalars(stmt))


def predecessors(
    *, session: Session, code: str, version: str | None = None
) -> tuple[Unit, list[Unit]]:
    """Units merged into ``code``; without a version, the latest version that has it."""
    if version is None:
        created_in = select(UnitSuccession.to_version).where(UnitSuccession.to_code == code)
        version = _latest_of(session=session, ids=set(session.scalars(created_in)))
    unit = get_unit(session=session, code=code, version=version)
    stmt = (
        select(Unit)
        .join(
            UnitSuccession,
            (UnitSuccession.from_version == Unit.version_id)
            & (UnitSuccession.from_code == Unit.code),
        )
        .where(UnitSuccession.to_version == unit.version_id, UnitSuccession.to_code == code)
        .order_by(Unit.code)
    )
    return unit, list(session.scalars(stmt))
