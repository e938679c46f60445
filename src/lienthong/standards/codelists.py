"""Shared code lists (*danh mục dùng chung*): versioned data, in force over date ranges.

``admin-unit`` is not stored here: its versions are the registry's unit code-list versions
(pre-2025 until 2025-06-30, 2025 from 2025-07-01).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lienthong.errors import NotFound
from lienthong.paging import PageRequest
from lienthong.registry.models import Unit, UnitVersion
from lienthong.standards.models import CodeList, CodeListEntry

ADMIN_UNIT = "admin-unit"


@dataclass(frozen=True)
class CodeListVersion:
    """One version of a code list with its codes (``code`` → label)."""

    name: str
    version: str
    title: str
    valid_from: date | None
    valid_to: date | None
    entries: dict[str, str]

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


def builtin_codelists() -> list[dict[str, Any]]:
    text = resources.files("lienthong.standards").joinpath("data", "codelists.json").read_text()
    lists: list[dict[str, Any]] = json.loads(text)["codelists"]
    return lists


def ensure_builtin_codelists(session: Session) -> bool:
    """Load the built-in code lists once; True if anything was loaded."""
    present = set(tuple(r) for r in session.execute(select(CodeList.name, CodeList.version)))
    loaded = False
    for spec in builtin_codelists():
        if (spec["name"], spec["version"]) in present:
            continue
        session.add(
            CodeList(
                name=spec["name"],
                version=spec["version"],
                title=spec["title"],
                valid_from=date.fromisoformat(spec["valid_from"]) if spec["valid_from"] else None,
                valid_to=date.fromisoformat(spec["valid_to"]) if spec["valid_to"] else None,
                source=spec["source"],
            )
        )
        session.flush()
        session.execute(
            insert(CodeListEntry),
            [
                {"name": spec["name"], "version": spec["version"], **entry}
                for entry in spec["entries"]
            ],
        )
        loaded = True
    return loaded


def list_codelists(*, session: Session) -> list[dict[str, Any]]:
    """Every version of every code list, with its size."""
    counts = {
        (name, version): size
        for name, version, size in session.execute(
            select(CodeListEntry.name, CodeListEntry.version, func.count()).group_by(
                CodeListEntry.name, CodeListEntry.version
            )
        )
    }
    found = [
        {
            "name": c.name,
            "version": str(c.version),
            "title": c.title,
            "valid_from": c.valid_from,
            "valid_to": c.valid_to,
            "size": counts.get((c.name, c.version), 0),
        }
        for c in session.scalars(select(CodeList).order_by(CodeList.name, CodeList.version))
    ]
    unit_counts = dict(
        session.execute(select(Unit.version_id, func.count()).group_by(Unit.version_id)).all()
    )
    for version in session.scalars(select(UnitVersion).order_by(UnitVersion.effective_from)):
        found.append(
            {
                "name": ADMIN_UNIT,
                "version": version.id,
                "title": version.name,
                "valid_from": version.effective_from,
                "valid_to": version.effective_to,
                "size": unit_counts.get(version.id, 0),
            }
        )
    return found


def _admin_versions(session: Session, level: str | None) -> list[CodeListVersion]:
    versions = []
    for version in session.scalars(select(UnitVersion)):
        stmt = select(Unit.code, Unit.full_name).where(Unit.version_id == version.id)
        if level:
            stmt = stmt.where(Unit.level == level)
        versions.append(
            CodeListVersion(
                ADMIN_UNIT,
                version.id,
                version.name,
                version.effective_from,
                version.effective_to,
                {code: name for code, name in session.execute(stmt)},
            )
        )
    return versions


def codelist_versions(
    *, session: Session, name: str, level: str | None = None
) -> list[CodeListVersion]:
    """All versions of a code list with their entries (``unknown-codelist`` if none)."""
    if name == ADMIN_UNIT:
        versions = _admin_versions(session, level)
    else:
        entries: dict[int, dict[str, str]] = {}
        for e in session.scalars(select(CodeListEntry).where(CodeListEntry.name == name)):
            entries.setdefault(e.version, {})[e.code] = e.label
        versions = [
            CodeListVersion(
                c.name,
                str(c.version),
                c.title,
                c.valid_from,
                c.valid_to,
                entries.get(c.version, {}),
            )
            for c in session.scalars(select(CodeList).where(CodeList.name == name))
        ]
    if not versions:
        raise NotFound(f"no code list {name!r}", code="unknown-codelist")
    return versions


def get_codelist(
    *, session: Session, name: str, version: str | None = None, on: date | None = None
) -> CodeListVersion:
    """One version: by id, else the one in force on ``on`` (default today)."""
    versions = codelist_versions(session=session, name=name)
    if version is not None:
        for found in versions:
            if found.version == version:
                return found
        raise NotFound(f"code list {name!r} has no version {version!r}", code="unknown-codelist")
    day = on or date.today()
    for found in versions:
        if found.in_force(day):
            return found
    raise NotFound(f"no version of {name!r} is in force on {day}", code="unknown-codelist")


def entries_page(
    found: CodeListVersion, *, page: PageRequest
) -> tuple[list[tuple[str, str]], str | None]:
    """One page of a version's ``(code, label)`` pairs in code order, and the next cursor."""
    scope = ("codelist", found.name, found.version)
    after = page.start(scope, 1)
    codes = sorted(found.entries)
    start = 0 if after is None else bisect_right(codes, str(after[0]))
    chosen = codes[start : start + page.limit]
    more = start + page.limit < len(codes)
    nxt = page.next_cursor(scope, [chosen[-1]]) if more else None
    return [(code, found.entries[code]) for code in chosen], nxt


def codes_frame(versions: list[CodeListVersion]) -> pl.DataFrame:
    """Versions as rows (version, valid_from, valid_to, code) for columnar joins."""
    rows = [(v.version, v.valid_from, v.valid_to, code) for v in versions for code in v.entries]
    return pl.DataFrame(
        rows,
        schema={"version": pl.Utf8, "valid_from": pl.Date, "valid_to": pl.Date, "code": pl.Utf8},
        orient="row",
    )
