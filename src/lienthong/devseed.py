"""A populated platform on first start in development: a small synthetic province, ingested.

Runs only when no batch exists yet, so a developer's own data is never touched. It sits beside
the domains, not in one (no domain imports it), and goes through the same audited services as
an operator would: every organisation, system and batch it makes is in the audit log, with the
platform's sample as the actor.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.models import Batch
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.registry import organisations, systems, units
from lienthong.registry.schemas import (
    Level,
    OrganisationCreate,
    SystemCreate,
    SystemStatus,
    SystemUpdate,
)
from lienthong.sample.generate import generate_province

log = logging.getLogger("lienthong")
DEMO_PERSONS = 500
PROVINCE = "33"
ACTOR = {"kind": "platform", "via": "sample"}  # who the audit log says made the sample

# The province's bodies that own the sample's sectoral data (2025 names), with one system each:
# (e-ID code, name, sector, system code, system name, connected, standard it supplies)
SECTOR_BODIES = (
    (
        "H33.UBND",
        "Ủy ban nhân dân tỉnh Hưng Yên",
        "government",
        "egov",
        "Hệ thống thông tin giải quyết thủ tục hành chính",
        True,
        None,
    ),
    (
        "H33.CA",
        "Công an tỉnh Hưng Yên",
        "population",
        "csdl-dan-cu",
        "Cơ sở dữ liệu dân cư (bản sao tỉnh)",
        True,
        "citizen",
    ),
    (
        "H33.STC",
        "Sở Tài chính tỉnh Hưng Yên",
        "business-registration",
        "dkkd",
        "Hệ thống đăng ký doanh nghiệp",
        True,
        "business",
    ),
    (
        "H33.SNNMT",
        "Sở Nông nghiệp và Môi trường tỉnh Hưng Yên",
        "land",
        "dat-dai",
        "Cơ sở dữ liệu đất đai",
        True,
        "land_parcel",
    ),
    (
        "H33.BHXH",
        "Bảo hiểm xã hội tỉnh Hưng Yên",
        "social-insurance",
        "bhyt",
        "Hệ thống quản lý thẻ bảo hiểm y tế",
        True,
        "health_insurance",
    ),
    (
        "H33.SYT",
        "Sở Y tế tỉnh Hưng Yên",
        "health",
        "his",
        "Hệ thống thông tin bệnh viện",
        False,
        None,
    ),
    (
        "H33.SGDDT",
        "Sở Giáo dục và Đào tạo tỉnh Hưng Yên",
        "education",
        "csdl-giao-duc",
        "Cơ sở dữ liệu ngành giáo dục",
        False,
        None,
    ),
)
# Commune offices: seven in ten have their one-stop-shop system connected.
COMMUNE_CONNECTED_EVERY = (0, 1, 2, 3, 4, 5, 6)


def _add(
    session: Session,
    settings: Settings,
    *,
    code: str,
    name: str,
    level: Level,
    unit: str,
    sector: str,
    parent: str | None,
    system: tuple[str, str],
    connected: bool,
) -> None:
    organisations.create_organisation(
        session=session,
        settings=settings,
        actor=ACTOR,
        data=OrganisationCreate(
            code=code,
            name=name,
            level=level,
            unit_code=unit,
            unit_version="2025",
            parent_code=parent,
            sector=sector,
        ),
    )
    systems.create_system(
        session=session,
        settings=settings,
        actor=ACTOR,
        organisation=code,
        data=SystemCreate(code=system[0], name=system[1]),
    )
    if connected:
        systems.update_system(
            session=session,
            settings=settings,
            actor=ACTOR,
            organisation=code,
            code=system[0],
            data=SystemUpdate(status=SystemStatus.connected),
        )


def _register(engine: Engine, settings: Settings) -> dict[str, str]:
    """The province's bodies and commune offices; returns standard → "ORG/SYSTEM"."""
    suppliers: dict[str, str] = {}
    with transaction(engine) as session:
        if organisations.find_organisation(session=session, code=SECTOR_BODIES[0][0]) is not None:
            return {b[6]: f"{b[0]}/{b[3]}" for b in SECTOR_BODIES if b[6]}
        for code, name, sector, sys_code, sys_name, connected, standard in SECTOR_BODIES:
            parent = None if code == SECTOR_BODIES[0][0] else SECTOR_BODIES[0][0]
            _add(
                session,
                settings,
                code=code,
                name=name,
                level=Level.province,
                unit=PROVINCE,
                sector=sector,
                parent=parent,
                system=(sys_code, sys_name),
                connected=connected,
            )
            if standard:
                suppliers[standard] = f"{code}/{sys_code}"
        province = units.get_unit(session=session, code=PROVINCE, version="2025")
        for index, commune in enumerate(units.all_children(session=session, unit=province)):
            _add(
                session,
                settings,
                code=f"X{commune.code}",
                name=f"Ủy ban nhân dân {commune.full_name}",
                level=Level.commune,
                unit=commune.code,
                sector="government",
                parent=None,
                system=("mot-cua", "Bộ phận một cửa"),
                connected=index % 10 in COMMUNE_CONNECTED_EVERY,
            )
    return suppliers


def populate_sample(*, engine: Engine, settings: Settings, persons: int = DEMO_PERSONS) -> int:
    """Generate and ingest a small sample when the store is empty; returns batches run (each
    audited as loaded by the platform's sample, not by a person)."""
    with transaction(engine) as session:
        if session.scalars(select(Batch.id).limit(1)).first() is not None:
            return 0
    out = settings.data_dir / "sample"
    generate_province(out, persons=persons, seed=1)
    truth = json.loads((out / "truth.json").read_text("utf-8"))
    suppliers = _register(engine, settings)
    for name, info in truth["files"].items():
        mapping = out / info["mapping"] if info["mapping"] else None
        batch = ingest_file(
            engine=engine,
            request=IngestRequest(
                path=out / name,
                standard=info["standard"],
                system=suppliers[info["standard"]],
                mapping=mapping,
            ),
            settings=settings,
            actor=ACTOR,
        )
        log.info(
            "sample %s: %d loaded, %d quarantined", name, batch.rows_loaded, batch.rows_quarantined
        )
    return len(truth["files"])
