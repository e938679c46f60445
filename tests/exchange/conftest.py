"""Exchange fixtures: citizens in the store, five in province 33 and one outside it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.ingest.factories import citizen_row, personal_id, register_system, write_citizens

OUTSIDE = "00004"  # a Hà Nội commune: outside a grant for province 33


@pytest.fixture
def citizens(engine: Engine, settings: Settings, tmp_path: Path) -> list[str]:
    register_system(engine, settings)
    rows = [citizen_row(n) for n in range(1, 6)] + [citizen_row(6, commune_code=OUTSIDE)]
    path = write_citizens(tmp_path / "citizens.csv", rows)
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.02/hoso"),
    )
    assert batch.status in {"succeeded", "completed", "done"} or batch.rows_loaded == 6
    return [personal_id(n) for n in range(1, 7)]
