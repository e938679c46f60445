"""`make run` in development: an empty platform gets a small ingested sample, once."""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select

import lienthong
from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.devseed import ACTOR, populate_sample
from lienthong.ingest.models import Batch
from lienthong.registry.report import connection_report
from lienthong.store.service import list_records
from tests.paging import a_page


def test_populate_sample_once(engine: Engine, settings: Settings) -> None:
    assert populate_sample(engine=engine, settings=settings, persons=150) >= 4
    with transaction(engine) as session:
        citizens, _ = list_records(session=session, dataset="citizen", page=a_page(1000))
        land, _ = list_records(session=session, dataset="land_parcel", page=a_page(10))
    assert len(citizens) > 100 and land
    assert populate_sample(engine=engine, settings=settings, persons=150) == 0


def test_sample_registry_gives_a_real_connection_report(engine: Engine, settings: Settings) -> None:
    populate_sample(engine=engine, settings=settings, persons=150)
    with transaction(engine) as session:
        report = connection_report(session=session, province="33")
        batches = session.scalars(select(Batch)).all()
    # seven province bodies (five connected) and the 104 commune offices (seven in ten)
    levels = {r.key: (r.organisations, r.connected) for r in report.by_level}
    assert levels["province"] == (7, 5)
    assert levels["commune"][0] == 104 and 70 <= levels["commune"][1] <= 75
    assert len(report.by_unit) == 105
    # each sector's file is loaded by the body that owns that sector's data
    by_standard = {b.standard: b.source_system for b in batches}
    assert by_standard["citizen"].startswith("H33.CA/")
    assert by_standard["land_parcel"].startswith("H33.SNNMT/")


def test_everything_the_seeder_makes_is_audited(engine: Engine, settings: Settings) -> None:
    populate_sample(engine=engine, settings=settings, persons=150)
    with engine.connect() as conn:
        bodies = [json.loads(b) for (b,) in conn.execute(select(AuditEntry.body))]
    by_seeder = Counter(b["action"] for b in bodies if b["actor"] == ACTOR)
    # 7 province bodies and 104 commune offices, one system each; five of the seven bodies'
    # and seven in ten of the offices' systems connected; then one batch per sample file
    assert by_seeder["organisation.create"] == by_seeder["system.create"] == 111
    assert 75 <= by_seeder["system.update"] <= 80
    assert by_seeder["ingest.batch"] >= 4
    assert ACTOR == {"kind": "platform", "via": "sample"}


def test_no_domain_imports_the_seeder() -> None:
    package = Path(lienthong.__file__).parent
    for path in package.rglob("*.py"):
        if path.parent == package:  # the faces and shared modules beside the domains
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.startswith("lienthong.devseed") for n in names), path
