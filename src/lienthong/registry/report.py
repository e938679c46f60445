"""The connection report: how many organisations have at least one connected system."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import case, exists, select
from sqlalchemy.orm import Session, aliased

from lienthong.errors import ValidationFailed
from lienthong.registry import units
from lienthong.registry.models import InformationSystem, Organisation, Unit
from lienthong.registry.schemas import ConnectionReport, ConnectionRow, Level, SystemStatus

OTHER_VERSION = "other-version"
CENTRAL = "central"


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _rows(counts: dict[str, list[int]], names: dict[str, str]) -> list[ConnectionRow]:
    return [
        ConnectionRow(
            key=key,
            name=names.get(key, key),
            organisations=total,
            connected=conn,
            percent=_percent(conn, total),
        )
        for key, (total, conn) in sorted(counts.items())
    ]


def connection_report(
    *, session: Session, version: str | None = None, province: str | None = None
) -> ConnectionReport:
    """Counts and percentages by level and by unit: provinces, or one province's communes.

    Organisations bound to units of another code-list version are counted under
    ``other-version`` in the by-unit rows (they still count in the totals and by level).
    """
    resolved = units.resolve_version(session=session, version=version)
    if province is not None:
        scope = units.find_unit(session=session, code=province, version=resolved.id)
        if scope is None or scope.level != "province":
            raise ValidationFailed.on(
                "province", "unknown-unit", f"no province {province!r} in version {resolved.id!r}"
            )
    unit, parent, grand = aliased(Unit), aliased(Unit), aliased(Unit)
    connected = exists().where(
        InformationSystem.organisation_id == Organisation.id,
        InformationSystem.status == SystemStatus.connected.value,
    )
    province_code = case(
        (unit.level == "province", unit.code),
        (parent.level == "province", parent.code),
        else_=grand.code,
    )
    stmt = (
        select(
            Organisation.level,
            Organisation.unit_version,
            Organisation.unit_code,
            province_code,
            connected,
        )
        .outerjoin(
            unit,
            (unit.version_id == Organisation.unit_version) & (unit.code == Organisation.unit_code),
        )
        .outerjoin(
            parent, (parent.version_id == unit.version_id) & (parent.code == unit.parent_code)
        )
        .outerjoin(
            grand, (grand.version_id == parent.version_id) & (grand.code == parent.parent_code)
        )
        .where(Organisation.active.is_(True))
    )
    by_level: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_unit: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = linked = 0
    for level, unit_version, unit_code, prov, is_connected in session.execute(stmt):
        if province is not None and (unit_version != resolved.id or prov != province):
            continue
        flag = int(bool(is_connected))
        total += 1
        linked += flag
        if unit_version is None:
            key = CENTRAL
        elif unit_version != resolved.id:
            key = OTHER_VERSION
        else:
            key = unit_code if province is not None else prov
        for bucket, k in ((by_level, level), (by_unit, key)):
            bucket[k][0] += 1
            bucket[k][1] += flag
    names = _unit_names(session=session, version=resolved.id, codes=by_unit.keys())
    return ConnectionReport(
        version=resolved.id,
        scope=province,
        organisations=total,
        connected=linked,
        percent=_percent(linked, total),
        by_level=[r for lvl in Level for r in _rows(by_level, {}) if r.key == lvl.value],
        by_unit=_rows(by_unit, names),
    )


def _unit_names(*, session: Session, version: str, codes: Iterable[str]) -> dict[str, str]:
    wanted = [c for c in codes if c not in (OTHER_VERSION, CENTRAL)]
    if not wanted:
        return {}
    stmt = select(Unit.code, Unit.full_name).where(
        Unit.version_id == version, Unit.code.in_(wanted)
    )
    return {code: name for code, name in session.execute(stmt)}
