"""The hold-out's master persons linked twice, pairs scored on DuckDB and on Spark (local mode).

    .venv/bin/python bench/linkage_spark.py [--persons 2000] [--seed 7] [--master 'local[2]']
                                            [--quick]  (300 persons)

Generates the hold-out (holdout.md), ingests its three files into an embedded SQLite store
with their mappings, links master persons with each backend (each run rolled back, so both
link the same records afresh), checks that the masters and the review items are the same,
and prints the times; the last line is one JSON object. Spark's start (its JVM, the session)
is timed apart, and Spark links twice: the first run also pays for warming its JVM up. Needs
the `spark` extra and a Java runtime; without them it says so and does nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

import lienthong.holdout
from lienthong.config import Settings
from lienthong.db import make_engine, session_factory
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.linkage import service
from lienthong.linkage.models import Link, Review
from lienthong.linkage.runs import store_frames
from lienthong.linkage.scoring import DUCKDB, Backend, SparkBackend
from lienthong.prepare import prepare_database
from linkage import register  # bench/linkage.py, beside this one

ID_KEY = b"bench-linkage-spark-master-id-key"
SYSTEM = "BENCH/spark"
MAPPINGS = Path(lienthong.holdout.__file__).parent / "mappings"
FILES = {
    "population.csv": ("citizen", MAPPINGS / "population.json"),
    "health_insurance.csv": ("health_insurance", MAPPINGS / "health_insurance.json"),
    "land.csv": ("land_parcel", MAPPINGS / "land.json"),
}


def _load(folder: Path, persons: int, seed: int) -> Engine:
    lienthong.holdout.generate(out_dir=folder / "holdout", persons=persons, seed=seed)
    settings = Settings(
        environment="test",
        data_dir=folder / "data",
        database_url=f"sqlite+pysqlite:///{folder / 'store.db'}",
    )
    engine = make_engine(settings)
    prepare_database(engine)
    register(engine, settings, SYSTEM)
    for name, (standard, mapping) in FILES.items():
        request = IngestRequest(
            path=folder / "holdout" / name, standard=standard, system=SYSTEM, mapping=mapping
        )
        ingest_file(engine=engine, settings=settings, request=request)
    return engine


def _link(engine: Engine, backend: Backend) -> tuple[float, dict[str, Any]]:
    """One linking run on ``backend``, timed, then rolled back."""
    session = session_factory(engine)()
    session.begin()
    try:
        started = time.perf_counter()
        summary = service.link(
            session=session,
            kind="person",
            frames=store_frames(session=session, kind="person"),
            id_key=ID_KEY,
            backend=backend,
        )
        seconds = time.perf_counter() - started
        members: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for link in session.scalars(select(Link).where(Link.kind == "person")):
            members[link.master_id].add((link.dataset, link.record_key))
        reviews = session.execute(
            select(Review.left_dataset, Review.left_key, Review.right_dataset, Review.right_key)
            .where(Review.kind == "person")
            .order_by(Review.id)
        ).all()
    finally:
        session.rollback()
        session.close()
    return seconds, {
        "summary": summary,
        "partition": {frozenset(m) for m in members.values()},
        "reviews": [tuple(r) for r in reviews],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--quick", action="store_true", help="300 persons")
    args = parser.parse_args()
    if args.quick:
        args.persons = 300
    if importlib.util.find_spec("pyspark") is None:
        print("skipped: the spark extra is not installed (pip install -e '.[spark]')")
        print(json.dumps({"spark": None, "note": "spark extra not installed"}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = _load(folder, args.persons, args.seed)
        duck_seconds, duck = _link(engine, DUCKDB)
        spark = SparkBackend(master=args.master, scratch_dir=folder / "spark")
        started = time.perf_counter()
        spark.session()
        start_seconds = time.perf_counter() - started
        first_seconds, first = _link(engine, spark)
        second_seconds, second = _link(engine, spark)
        spark.stop()
        engine.dispose()
    same = all(run[key] == duck[key] for run in (first, second) for key in ("partition", "reviews"))
    summary = duck["summary"]
    print(
        f"hold-out {args.persons:,} persons, {summary.records:,} records, "
        f"{summary.comparisons:,} comparisons: DuckDB {duck_seconds:.1f} s; Spark "
        f"{args.master} start {start_seconds:.1f} s, first run {first_seconds:.1f} s, "
        f"second {second_seconds:.1f} s ({second_seconds / duck_seconds:.0f}× DuckDB); "
        f"same masters and review items: {same}"
    )
    print(
        json.dumps(
            {
                "persons": args.persons,
                "seed": args.seed,
                "records": summary.records,
                "comparisons": summary.comparisons,
                "masters": len(duck["partition"]),
                "review_items": len(duck["reviews"]),
                "duckdb_seconds": round(duck_seconds, 2),
                "spark_master": args.master,
                "spark_start_seconds": round(start_seconds, 2),
                "spark_first_seconds": round(first_seconds, 2),
                "spark_second_seconds": round(second_seconds, 2),
                "spark_second_over_duckdb": round(second_seconds / duck_seconds, 1),
                "same_result": same,
            }
        )
    )
    if not same:
        raise SystemExit("Spark and DuckDB disagree")


if __name__ == "__main__":
    main()
