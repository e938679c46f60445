"""DTI factories: departments, public-service files ingested through the real pipeline, audit
reads. Months are in the current year, because the facts of a year include the audit log's
and ingest's entries, which are stamped now."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from lienthong.audit.service import operator_actor
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.registry import organisations, systems
from lienthong.registry.schemas import OrganisationCreate, SystemCreate, SystemUpdate

YEAR = date.today().year
JUSTICE, PLANNING, DX = "H33.05", "H33.07", "H33.20"
DEPARTMENTS = {
    JUSTICE: "Sở Tư pháp",
    PLANNING: "Sở Kế hoạch và Đầu tư",
    DX: "Trung tâm Chuyển đổi số",
}

CATALOGUE = [
    ["code", "agency", "name", "level", "online", "unit_code"],
    ["1.001", JUSTICE, "Cấp phiếu lý lịch tư pháp", "province", "full", "33"],
    ["1.002", JUSTICE, "Chứng thực bản sao từ bản chính", "commune", "partial", "12166"],
    ["1.003", JUSTICE, "Đăng ký khai sinh", "commune", "full", "12166"],
    ["2.001", PLANNING, "Đăng ký thành lập doanh nghiệp", "province", "full", "33"],
    ["2.002", PLANNING, "Cấp giấy chứng nhận đầu tư", "province", "none", "33"],
    ["2.003", PLANNING, "Mức độ 4 (an old level, refused)", "province", "level4", "33"],
]


def _month(m: int, year: int = YEAR) -> str:
    return f"{year}-{m:02d}"


MONTHLY = [
    ["code", "agency", "month", "unit_code", "received_total", "received_online",
     "processed_on_time", "paid_online"],
    ["1.001", JUSTICE, _month(1), "33", "100", "80", "95", "40"],
    ["1.002", JUSTICE, _month(1), "12166", "50", "10", "50", "0"],
    ["1.001", JUSTICE, _month(2), "33", "120", "90", "110", "60"],
    ["2.001", PLANNING, _month(1), "33", "200", "150", "180", "100"],
    ["2.001", PLANNING, _month(12, YEAR - 1), "33", "10", "5", "10", "5"],
    ["2.001", PLANNING, f"{YEAR}-13", "33", "1", "1", "1", "1"],
]  # fmt: skip


def departments(engine: Engine, settings: Settings) -> str:
    """The three departments; the DX centre's system, connected, is the public-service source
    (ORG/SYSTEM returned). Its code is unique: ingest's claim on an input is a PostgreSQL
    advisory lock, server-wide, so parallel test sessions must not load identical inputs."""
    code = f"dvc{uuid.uuid4().hex[:8]}"
    who = {"settings": settings, "actor": operator_actor()}
    with transaction(engine) as session:
        for code, name in DEPARTMENTS.items():
            organisations.create_organisation(
                session=session,
                **who,
                data=OrganisationCreate(code=code, name=name, level="province", unit_code="33"),
            )
        systems.create_system(
            session=session, **who, organisation=DX, data=SystemCreate(code=code, name="Cổng DVC")
        )
        systems.update_system(
            session=session,
            **who,
            organisation=DX,
            code=code,
            data=SystemUpdate(status="connected"),
        )
    return f"{DX}/{code}"


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def ingest_public_services(engine: Engine, settings: Settings, tmp_path: Path, source: str) -> None:
    """Both files through the ingest pipeline; one bad row of each goes to quarantine."""
    for name, rows, standard in (
        ("catalogue.csv", CATALOGUE, "public_service"),
        ("monthly.csv", MONTHLY, "public_service_monthly"),
    ):
        batch = ingest_file(
            engine=engine,
            settings=settings,
            request=IngestRequest(
                path=write(tmp_path / name, rows), standard=standard, system=source
            ),
        )
        assert (batch.rows_loaded, batch.rows_quarantined) == (len(rows) - 2, 1)


def audit_bodies(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [json.loads(b) for (b,) in rows]
