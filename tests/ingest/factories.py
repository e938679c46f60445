"""Ingest factories: a registered source system and small citizen files."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine

from lienthong.audit.service import operator_actor
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.registry import organisations, systems
from lienthong.registry.schemas import OrganisationCreate, SystemCreate
from lienthong.standards.identifiers import tax_code_check_digit

SYSTEM = "H33.02/hoso"
CITIZEN_HEADER = [
    "personal_id", "full_name", "sex", "date_of_birth", "ethnic_code", "commune_code",
    "address_line", "phone",
]  # fmt: skip
COMMUNE = "12166"  # a 2025 commune of Hưng Yên


def register_system(engine: Engine, settings: Settings, system: str = SYSTEM) -> str:
    org, code = system.split("/")
    who = {"settings": settings, "actor": operator_actor()}
    with transaction(engine) as session:
        if organisations.find_organisation(session=session, code=org) is None:
            organisations.create_organisation(
                session=session,
                **who,
                data=OrganisationCreate(
                    code=org, name="Sở Tư pháp", level="province", unit_code="33"
                ),
            )
        systems.create_system(
            session=session, **who, organisation=org, data=SystemCreate(code=code, name="Hộ tịch")
        )
    return system


def personal_id(n: int, *, female: bool = False, year: int = 1990, province: str = "033") -> str:
    digit = (year // 100 - 19) * 2 + (1 if female else 0)
    return f"{province}{digit}{year % 100:02d}{n:06d}"


def citizen_row(n: int, **changes: str) -> dict[str, str]:
    row = {
        "personal_id": personal_id(n),
        "full_name": f"Nguyễn Văn {n}",
        "sex": "1",
        "date_of_birth": "1990-05-17",
        "ethnic_code": "01",
        "commune_code": COMMUNE,
        "address_line": f"Số {n} phố Hiến",
        "phone": f"09{n:08d}",
    }
    row.update(changes)
    return row


def write_citizens(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CITIZEN_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def tax_code(n: int, province: str = "01") -> str:
    """A valid 10-digit tax code (skips sequences whose check digit would be 10)."""
    while True:
        nine = f"{province}{n:07d}"
        check = tax_code_check_digit(nine)
        if check is not None:
            return f"{nine}{check}"
        n += 1
