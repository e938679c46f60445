"""Every file `lienthong sample` writes: read = loaded + quarantined, and exactly the ground
truth's invalid rows are quarantined, each with at least the codes the truth gives."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.models import QuarantineRow
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.sample.generate import generate_province
from tests.ingest.factories import register_system


def test_sample_province_matches_its_truth(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "sample"
    generate_province(out, persons=1500, seed=7)
    truth = json.loads((out / "truth.json").read_text("utf-8"))
    system = register_system(engine, settings)
    assert len(truth["files"]) >= 4
    for name, info in truth["files"].items():
        mapping = out / info["mapping"] if info["mapping"] else None
        batch = ingest_file(
            engine=engine,
            settings=settings,
            request=IngestRequest(
                path=out / name, standard=info["standard"], system=system, mapping=mapping
            ),
        )
        assert batch.status == "completed"
        assert batch.rows_read == info["rows"] == batch.rows_loaded + batch.rows_quarantined
        with transaction(engine) as session:
            quarantined = {
                q.row: {f["code"] for f in q.findings}
                for q in session.scalars(
                    select(QuarantineRow).where(QuarantineRow.batch_id == batch.id)
                )
            }
        expected = {int(row): codes for row, codes in info["invalid"].items()}
        assert set(quarantined) == set(expected), name
        for row, codes in expected.items():
            wanted = set(codes)
            assert wanted <= quarantined[row], (name, row, codes, quarantined[row])
