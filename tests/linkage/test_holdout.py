"""The hold-out generator's three files, loaded through the ingest with their mappings
(``holdout/mappings``) and linked: the path the hold-out figures in linkage.md are measured on."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.holdout import generate
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.linkage import service
from lienthong.linkage.evaluate import compare
from lienthong.linkage.models import Link
from lienthong.linkage.runs import store_frames
from lienthong.linkage.truth import read_sample
from tests.ingest.factories import register_system
from tests.linkage.factories import ID_KEY

MAPPINGS = Path(__file__).parents[2] / "src" / "lienthong" / "holdout" / "mappings"
FILES = {
    "population.csv": "citizen",
    "health_insurance.csv": "health_insurance",
    "land.csv": "land_parcel",
}


def test_holdout_files_load_with_their_mappings_and_link(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    generate(out_dir=tmp_path, persons=600, seed=5)
    system = register_system(engine, settings)
    for name, standard in FILES.items():
        batch = ingest_file(
            engine=engine,
            settings=settings,
            request=IngestRequest(
                path=tmp_path / name,
                standard=standard,
                system=system,
                mapping=MAPPINGS / name.replace(".csv", ".json"),
            ),
        )
        # A few rows quarantine by design (an ID contradicting the birth date, a pre-2025
        # commune with several successors); the rest load.
        assert batch.rows_loaded >= 0.95 * batch.rows_read, (name, batch.report)
    files = {
        n: {"standard": s, "mapping": str(MAPPINGS / n.replace(".csv", ".json"))}
        for n, s in FILES.items()
    }
    (tmp_path / "truth.json").write_text(json.dumps({"files": files, "entities": []}))
    with transaction(engine) as session:
        _, sample = read_sample(session=session, truth_path=tmp_path / "truth.json")
        frames = store_frames(session=session, kind="person")
        service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
        links = {
            (r.dataset, r.record_key): r.master_id
            for r in session.scalars(select(Link).where(Link.kind == "person"))
        }
    with (tmp_path / "truth.csv").open(encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    predicted = []
    for i, row in enumerate(truth):
        record = sample.rows.get((row["source"], int(row["record_id"])))
        predicted.append(links.get(record, f"missed-{i}") if record else f"missed-{i}")
    figures = compare(predicted, [row["entity_id"] for row in truth])
    assert figures.pairs_true > 500
    assert figures.precision >= 0.99, figures
    assert figures.recall >= 0.95, figures
