"""`make run` in development: an empty platform gets a small ingested sample, once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.ingest.demo import populate_sample
from lienthong.store.service import list_records


def test_populate_sample_once(engine: Engine, tmp_path: Path) -> None:
    assert populate_sample(engine=engine, data_dir=tmp_path, persons=150) >= 4
    with transaction(engine) as session:
        citizens, _ = list_records(session=session, dataset="citizen", limit=1000)
        land, _ = list_records(session=session, dataset="land_parcel", limit=10)
    assert len(citizens) > 100 and land
    assert populate_sample(engine=engine, data_dir=tmp_path, persons=150) == 0
