"""Loading administrative-unit code lists (vendored CSVs, or later versions as data)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lienthong.registry.models import Unit, UnitSuccession, UnitVersion
from lienthong.text import fold, nfc

PRE_2025 = "pre2025"
V2025 = "2025"

# Longest first so that "Thành phố" wins over a shorter prefix.
UNIT_TYPES = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Phường", "Huyện", "Quận", "Tỉnh", "Xã")


@dataclass(frozen=True)
class VersionSpec:
    id: str
    name: str
    effective_from: date | None
    effective_to: date | None
    tiers: int
    source: str


BUILTIN_VERSIONS = (
    VersionSpec(
        PRE_2025,
        "Three-tier list (Decision 124/2004/QĐ-TTg), in force until 2025-06-30",
        None,
        date(2025, 6, 30),
        3,
        "units_pre2025_to_2025.csv",
    ),
    VersionSpec(
        V2025,
        "Two-tier list (Decision 19/2025/QĐ-TTg), in force from 2025-07-01",
        date(2025, 7, 1),
        None,
        2,
        "units_2025.csv",
    ),
)


def split_type(full_name: str) -> tuple[str, str]:
    """``"Phường Phúc Xá"`` → ``("Phường", "Phúc Xá")``."""
    for unit_type in UNIT_TYPES:
        if full_name.startswith(unit_type + " "):
            return unit_type, full_name[len(unit_type) + 1 :]
    return "", full_name


def unit_row(
    version: str,
    level: str,
    code: str,
    parent: str | None,
    full_name: str,
    name: str | None = None,
    name_en: str | None = None,
    unit_type: str | None = None,
) -> dict[str, Any]:
    full_name = nfc(full_name.strip())
    guessed_type, guessed_name = split_type(full_name)
    name = nfc(name.strip()) if name else guessed_name
    return {
        "version_id": version,
        "code": code,
        "level": level,
        "parent_code": parent or None,
        "name": name,
        "full_name": full_name,
        "name_en": name_en or None,
        "unit_type": unit_type or guessed_type,
        "folded_name": fold(full_name),
    }


def _csv_rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("lienthong.registry").joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def builtin_units() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    """Rows of both built-in versions and the succession edges between them."""
    new_units = [
        unit_row(
            V2025,
            r["level"],
            r["code"],
            r["parent_code"],
            r["full_name"],
            r["name"],
            r["name_en"],
            r["unit_type"],
        )
        for r in _csv_rows("units_2025.csv")
    ]
    new_codes = {u["code"] for u in new_units}
    by_name = {(u["parent_code"], u["full_name"]): u["code"] for u in new_units}
    old: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], None] = {}
    for r in _csv_rows("units_pre2025_to_2025.csv"):
        province, district, commune = (
            r["old_province_code"],
            r["old_district_code"],
            r["old_commune_code"],
        )
        old.setdefault(
            province, unit_row(PRE_2025, "province", province, None, r["old_province_name"])
        )
        old.setdefault(
            district, unit_row(PRE_2025, "district", district, province, r["old_district_name"])
        )
        old.setdefault(
            commune, unit_row(PRE_2025, "commune", commune, district, r["old_commune_name"])
        )
        successor = r["new_commune_code"]
        if successor not in new_codes:
            # Two rows of the source name a successor code that the 2025 list does not have;
            # the successor's name within its province identifies the unit unambiguously.
            key = (r["new_province_code"], nfc(r["new_commune_name"]))
            if key not in by_name:
                raise ValueError(f"successor {successor} of {commune} is not in the 2025 list")
            successor = by_name[key]
        edges[(commune, successor)] = None
    successions = [
        {"from_version": PRE_2025, "from_code": a, "to_version": V2025, "to_code": b}
        for a, b in edges
    ]
    return list(old.values()), new_units, successions


def load_version(session: Session, spec: VersionSpec, units: Iterable[Mapping[str, Any]]) -> int:
    """Add one code-list version with its units; later versions (2026 changes) come this way."""
    session.add(
        UnitVersion(
            id=spec.id,
            name=spec.name,
            effective_from=spec.effective_from,
            effective_to=spec.effective_to,
            tiers=spec.tiers,
            source=spec.source,
        )
    )
    session.flush()
    rows = list(units)
    if rows:
        session.execute(insert(Unit), rows)
    return len(rows)


def load_successions(session: Session, edges: Iterable[Mapping[str, Any]]) -> int:
    rows = list(edges)
    if rows:
        session.execute(insert(UnitSuccession), rows)
    return len(rows)


def ensure_builtin_units(session: Session) -> bool:
    """Load the built-in versions once; True if anything was loaded."""
    present = set(session.scalars(select(UnitVersion.id)))
    if {spec.id for spec in BUILTIN_VERSIONS} <= present:
        return False
    old_units, new_units, successions = builtin_units()
    by_version = {PRE_2025: old_units, V2025: new_units}
    for spec in BUILTIN_VERSIONS:
        if spec.id not in present:
            load_version(session, spec, by_version[spec.id])
    load_successions(session, successions)
    return True
