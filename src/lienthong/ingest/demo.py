"""A populated platform on first start in development: a small synthetic province, ingested.

Runs only when no batch exists yet, so a developer's own data is never touched.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import Engine, select

from lienthong.db import transaction
from lienthong.ingest.models import Batch
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.registry import organisations, systems
from lienthong.registry.schemas import Level, OrganisationCreate, SystemCreate
from lienthong.sample.generate import generate_province

log = logging.getLogger("lienthong")
DEMO_ORGANISATION = "H33.MAU"
DEMO_SYSTEM = "du-lieu-mau"
DEMO_PERSONS = 500


def _register(engine: Engine) -> str:
    with transaction(engine) as session:
        if organisations.find_organisation(session=session, code=DEMO_ORGANISATION) is None:
            organisations.create_organisation(
                session=session,
                data=OrganisationCreate(
                    code=DEMO_ORGANISATION,
                    name="Dữ liệu mẫu (synthetic sample data)",
                    level=Level.province,
                    unit_code="33",
                ),
            )
            systems.create_system(
                session=session,
                organisation=DEMO_ORGANISATION,
                data=SystemCreate(code=DEMO_SYSTEM, name="Sample sector exports"),
            )
    return f"{DEMO_ORGANISATION}/{DEMO_SYSTEM}"


def populate_sample(*, engine: Engine, data_dir: Path, persons: int = DEMO_PERSONS) -> int:
    """Generate and ingest a small sample when the store is empty; returns batches run."""
    with transaction(engine) as session:
        if session.scalars(select(Batch.id).limit(1)).first() is not None:
            return 0
    out = data_dir / "sample"
    generate_province(out, persons=persons, seed=1)
    truth = json.loads((out / "truth.json").read_text("utf-8"))
    system = _register(engine)
    for name, info in truth["files"].items():
        mapping = out / info["mapping"] if info["mapping"] else None
        batch = ingest_file(
            engine=engine,
            request=IngestRequest(
                path=out / name, standard=info["standard"], system=system, mapping=mapping
            ),
        )
        log.info(
            "sample %s: %d loaded, %d quarantined", name, batch.rows_loaded, batch.rows_quarantined
        )
    return len(truth["files"])
