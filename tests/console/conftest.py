"""The console over real HTTP through the ASGI app (https, so that the ``__Host-`` cookies
travel), on the suite's real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.devseed import populate_sample
from lienthong.events import event
from lienthong.linkage import runs
from lienthong.web.app import create_app


@pytest.fixture
def web(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


READS = (("citizen", 3), ("citizen", 1), ("land_parcel", 2))  # (dataset, records) answered


def populate_province(engine: Engine, settings: Settings) -> None:
    """The development sample (registry, sector batches with their quarantine), persons linked
    across datasets, and a few answered data requests in the audit log, each through the
    domains' own services."""
    populate_sample(engine=engine, settings=settings, persons=120)
    with transaction(engine) as session:
        runs.run(session=session, id_key=b"console-test-linkage-key-0123456", kinds=["person"])
        for dataset, count in READS:
            record(
                session=session,
                settings=settings,
                entry=event(
                    "data.read",
                    actor={"kind": "system", "system": "H33.SYT/his"},
                    dataset=dataset,
                    count=count,
                    purpose="test",
                ),
            )


@pytest.fixture
def province(settings: Settings, engine: Engine) -> Engine:
    populate_province(engine, settings)
    return engine
