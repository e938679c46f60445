"""Ingest benchmark: validate + load a citizen CSV into SQLite and PostgreSQL, end to end.

Baselines measured in the same run on the same file: frictionless-py's validation rate (same
Table Schema, without the lienthong: extensions) and pandas ``read_csv`` + ``to_sql``; and
``lienthong ingest check`` (validation alone) beside frictionless-py. Each round measures
everything once, each measurement in its own process (as a user's command runs); the figures
are medians of the rounds (the machines are noisy).

Memory: an ingest of a generated 50 MB and 600 MB citizen file (wide rows, about 280 bytes, as
full addresses make them; unique keys) into SQLite, each in its own process (the ingest job, as
the other measurements run it); that process's peak resident set (its ``VmHWM``, shared
libraries included) is reported.

    .venv/bin/python bench/ingest.py            # 1,000,000 rows, 3 rounds; memory at 50, 600 MB
    .venv/bin/python bench/ingest.py --quick    # 100,000 rows, frictionless on 20,000, 1 round;
                                                # memory at 50 MB only

The last line of output is one JSON object.
"""

from __future__ import annotations

# Before Polars, as the ``lienthong`` command and server load it: importing lienthong sets
# Polars' allocator options, which are read once, when Polars loads.
import lienthong  # noqa: F401  # isort: skip

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import create_engine, text

from lienthong.config import Settings
from lienthong.db import make_engine, transaction
from lienthong.ingest.check import CheckRequest, check_file
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.prepare import prepare_database
from lienthong.registry import organisations, systems
from lienthong.registry.schemas import OrganisationCreate, SystemCreate
from lienthong.standards.service import builtin_document

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SYSTEM = "H33.BENCH/dancu"
COMMUNES = ["11953", "11977", "12166", "12619"]
ADDRESS = " tổ dân phố số 5"


def make_csv(path: Path, rows: int, *, address_words: int = 0) -> int:
    """A deterministic citizen file; about 1% of rows break one rule. Returns invalid rows.

    Keys stay unique past a million rows (the province digits count the millions);
    ``address_words`` lengthens every address, as a real export's full addresses are."""
    n = pl.int_range(1, rows + 1, eager=True)
    female = n % 2 == 1
    year = 1940 + n % 80
    digit = ((year // 100 - 19) * 2 + female.cast(pl.Int64)).cast(pl.Utf8)
    frame = pl.DataFrame({"n": n, "female": female, "year": year, "digit": digit}).select(
        personal_id=pl.concat_str(
            (33 + (pl.col("n") - 1) // 1_000_000).cast(pl.Utf8).str.zfill(3),
            pl.col("digit"),
            (pl.col("year") % 100).cast(pl.Utf8).str.zfill(2),
            (pl.col("n") % 1_000_000).cast(pl.Utf8).str.zfill(6),
        ),
        full_name=pl.concat_str(pl.lit("Nguyễn Thị Bích "), pl.col("n").cast(pl.Utf8)),
        sex=pl.when(pl.col("female")).then(pl.lit("2")).otherwise(pl.lit("1")),
        date_of_birth=pl.concat_str(
            pl.col("year").cast(pl.Utf8),
            pl.lit("-"),
            (pl.col("n") % 12 + 1).cast(pl.Utf8).str.zfill(2),
            pl.lit("-"),
            (pl.col("n") % 28 + 1).cast(pl.Utf8).str.zfill(2),
        ),
        ethnic_code=(pl.col("n") % 54 + 1).cast(pl.Utf8).str.zfill(2),
        commune_code=pl.lit(pl.Series(COMMUNES)).get(pl.col("n") % len(COMMUNES)),
        address_line=pl.concat_str(
            pl.lit("Số "), pl.col("n").cast(pl.Utf8), pl.lit(" phố Hiến" + ADDRESS * address_words)
        ),
        phone=pl.concat_str(pl.lit("09"), (pl.col("n") % 100_000_000).cast(pl.Utf8).str.zfill(8)),
    )
    bad = pl.int_range(0, rows, eager=True) % 100 == 7
    frame = frame.with_columns(sex=pl.when(bad).then(pl.lit("3")).otherwise(pl.col("sex")))
    frame.write_csv(path)
    return int(bad.sum())


def register(engine: Any, settings: Settings) -> None:
    who = {"settings": settings, "actor": {"kind": "operator"}}
    with transaction(engine) as session:
        org, code = SYSTEM.split("/")
        if organisations.find_organisation(session=session, code=org) is None:
            organisations.create_organisation(
                session=session,
                **who,
                data=OrganisationCreate(code=org, name="Bench", level="province", unit_code="33"),
            )
            systems.create_system(
                session=session, **who, organisation=org, data=SystemCreate(code=code, name="Bench")
            )


def run_lienthong(url: str, path: Path, data_dir: Path, *, reload: bool = False) -> dict[str, Any]:
    settings = Settings(environment="test", data_dir=data_dir, database_url=url)
    engine = make_engine(settings)
    try:
        prepare_database(engine)
        register(engine, settings)
        started = time.perf_counter()
        batch = ingest_file(
            engine=engine,
            settings=settings,
            request=IngestRequest(path=path, standard="citizen", system=SYSTEM),
        )
        seconds = time.perf_counter() - started
        reload_seconds = None
        if reload:  # the same file again: the merge path, every row compared and unchanged
            started = time.perf_counter()
            again = ingest_file(
                engine=engine,
                settings=settings,
                request=IngestRequest(path=path, standard="citizen", system=SYSTEM),
            )
            reload_seconds = time.perf_counter() - started
            assert again.unchanged == again.rows_loaded == batch.rows_loaded
    finally:
        engine.dispose()
    return {
        "seconds": seconds,
        "read": batch.rows_read,
        "loaded": batch.rows_loaded,
        "quarantined": batch.rows_quarantined,
        "report": batch.report,
        "reload_seconds": reload_seconds,
    }


# The small code lists become enums, so frictionless checks what it can of ours; identifier
# rules and the 3,321-code commune list it cannot express (a fair, generous baseline).
ENUMS = {"sex": ["1", "2"], "ethnic-group": [f"{i:02d}" for i in range(1, 55)]}


def plain_field(field: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in field.items() if not k.startswith("lienthong:")}
    codes = ENUMS.get(field.get("lienthong:codelist", ""))
    if codes:
        out["constraints"] = {**out.get("constraints", {}), "enum": codes}
    return out


def run_frictionless(path: Path, rows: int) -> dict[str, Any]:
    from frictionless import Resource, Schema  # bench extra only

    subset = path.with_name("frictionless.csv")
    pl.read_csv(path, n_rows=rows, infer_schema=False).write_csv(subset)
    descriptor = {
        "fields": [plain_field(f) for f in builtin_document("citizen")["fields"]],
        "primaryKey": ["personal_id"],
    }
    resource = Resource(
        path=subset.name, basepath=str(subset.parent), schema=Schema.from_descriptor(descriptor)
    )
    started = time.perf_counter()
    report = resource.validate(limit_errors=10_000_000)
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "errors": len(report.tasks[0].errors)}


def run_check(url: str, path: Path, data_dir: Path) -> dict[str, Any]:
    """``lienthong ingest check``: read + map + validate the whole file, nothing written (the
    standard, code lists and successions are loaded inside the timed call)."""
    settings = Settings(environment="test", data_dir=data_dir, database_url=url)
    engine = make_engine(settings)
    try:
        started = time.perf_counter()
        report = check_file(engine=engine, request=CheckRequest(path=path, standard="citizen"))
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {"rows": report.rows_read, "invalid": report.rows_invalid, "seconds": seconds}


def run_raw_sqlite(path: Path, data_dir: Path) -> dict[str, Any]:
    """The write ceiling: the same rows as tuples, one raw executemany per 100,000 into a keyed
    table (same PRAGMAs, provenance as constants), no reading cost counted, no validation."""
    frame = pl.read_csv(path, infer_schema=False).unique(
        "personal_id", keep="first", maintain_order=True
    )
    chunks = [frame.slice(i, 100_000).rows() for i in range(0, frame.height, 100_000)]
    columns = ", ".join(f"{c} TEXT" for c in frame.columns[1:])
    conn = sqlite3.connect(data_dir / "raw.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute(
        f"CREATE TABLE t (personal_id TEXT PRIMARY KEY NOT NULL, {columns}, "
        "_batch_id TEXT, _source_system TEXT, _loaded_at TEXT, _updated_at TEXT)"
    )
    marks = ", ".join("?" * frame.width)
    statement = f"INSERT INTO t VALUES ({marks}, 'b', 's', '2025-07-01', '2025-07-01')"  # noqa: S608 placeholders only
    started = time.perf_counter()
    for chunk in chunks:
        with conn:
            conn.executemany(statement, chunk)
    seconds = time.perf_counter() - started
    conn.close()
    return {"rows": frame.height, "seconds": seconds}


def run_pandas(path: Path, data_dir: Path) -> dict[str, Any]:
    import pandas as pd  # bench extra only

    started = time.perf_counter()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    with sqlite3.connect(data_dir / "pandas.db") as conn:
        frame.to_sql("citizen", conn, index=False, if_exists="replace", chunksize=100_000)
    return {"rows": len(frame), "seconds": time.perf_counter() - started}


def run_postgres(path: Path, data_dir: Path) -> dict[str, Any]:
    schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        return run_lienthong(f"{PG_URL}?options=-csearch_path%3D{schema}", path, data_dir)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def measure(kind: str, path: Path, work: Path, friction_rows: int) -> dict[str, float]:
    """One measurement, in this process: rows/s (and the counts to check)."""
    sqlite_url = f"sqlite+pysqlite:///{work / 'bench.db'}"
    if kind == "sqlite":
        done = run_lienthong(sqlite_url, path, work, reload=True)
        return {
            "sqlite": done["read"] / done["seconds"],
            "sqlite_reload": done["read"] / done["reload_seconds"],
            "read": done["read"],
            "quarantined": done["quarantined"],
        }
    if kind == "postgres":
        done = run_postgres(path, work)
        return {
            "postgres": done["read"] / done["seconds"],
            "read": done["read"],
            "quarantined": done["quarantined"],
        }
    if kind == "memory":
        done = run_lienthong(f"sqlite+pysqlite:///{work / 'memory.db'}", path, work)
        return {
            "rows": done["read"],
            "rows_per_s": round(done["read"] / done["seconds"]),
            "peak_rss_mib": round(own_peak_kib() / 1024, 1),
        }
    if kind == "check":
        done = run_check(sqlite_url, path, work)
        return {"check": done["rows"] / done["seconds"], **done}
    runner = {
        "frictionless": lambda: run_frictionless(path, friction_rows),
        "raw": lambda: run_raw_sqlite(path, work),
        "pandas": lambda: run_pandas(path, work),
    }[kind]
    done = runner()
    return {kind: done["rows"] / done["seconds"]}


KINDS = ("sqlite", "postgres", "frictionless", "check", "raw", "pandas")
MEMORY_SIZES = {False: (50, 600), True: (50,)}  # MB, by --quick
WIDE_ROW_BYTES = 280  # make_csv(address_words=8): the memory files' bytes per row


def peak_rss(megabytes: int, work: Path) -> dict[str, float]:
    """An ingest of a generated ``megabytes`` MB file into a fresh SQLite database, in its own
    process: that process's peak resident set, and the rows/s it reached."""
    work.mkdir()
    path = work / "wide.csv"
    make_csv(path, megabytes * 1_000_000 // WIDE_ROW_BYTES, address_words=8)
    found = isolated("memory", path, work, 0)
    found["file_mb"] = round(path.stat().st_size / 1e6, 1)
    path.unlink()
    return found


def own_peak_kib() -> int:
    """This process's peak resident set (``VmHWM``) in KiB. Not ``ru_maxrss``: across exec
    that keeps the high-water mark of the process that started it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status (Linux only)")


def isolated(kind: str, path: Path, work: Path, friction_rows: int) -> dict[str, float]:
    """``measure`` in a fresh process, as a user's command runs: no measurement inherits
    another's heap, threads or caches."""
    found = subprocess.run(
        [sys.executable, __file__, "--one", kind, "--file", str(path), "--work", str(work),
         "--friction-rows", str(friction_rows)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if found.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{found.stderr}")
    result: dict[str, float] = json.loads(found.stdout.strip().splitlines()[-1])
    return result


def one_round(path: Path, rows: int, invalid: int, friction_rows: int, work: Path) -> dict:
    """Every measurement once, each in its own process, in a fresh directory (and a fresh
    PostgreSQL schema): rows/s."""
    work.mkdir()
    rates: dict[str, float] = {}
    for kind in KINDS:
        found = isolated(kind, path, work, friction_rows)
        if kind in ("sqlite", "postgres"):
            assert (found.pop("read"), found.pop("quarantined")) == (rows, invalid), kind
        if kind == "check":
            assert (found.pop("rows"), found.pop("invalid")) == (rows, invalid), kind
            found.pop("seconds")
        rates.update(found)
    print("  " + "  ".join(f"{k} {v:,.0f}" for k, v in rates.items()))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, one round")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=None, help="default 3 (1 with --quick)")
    parser.add_argument("--one", choices=(*KINDS, "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--friction-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child of ``isolated``
        print(json.dumps(measure(args.one, args.file, args.work, args.friction_rows)))
        return
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    rounds = args.rounds or (1 if args.quick else 3)
    friction_rows = min(rows, 20_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        tmpdir = Path(tmp)
        path = tmpdir / "citizens.csv"
        invalid = make_csv(path, rows)
        print(
            f"{rows:,} rows ({path.stat().st_size / 1e6:.1f} MB), {invalid:,} invalid; "
            f"frictionless-py on the first {friction_rows:,}; {rounds} round(s), rows/s:"
        )
        runs = [
            one_round(path, rows, invalid, friction_rows, tmpdir / f"round-{i}")
            for i in range(rounds)
        ]
        memory = {mb: peak_rss(mb, tmpdir / f"memory-{mb}") for mb in MEMORY_SIZES[args.quick]}
        for found in memory.values():
            print(
                f"ingest, {found['file_mb']} MB ({found['rows']:,} rows): "
                f"peak RSS {found['peak_rss_mib']} MiB, {found['rows_per_s']:,} rows/s"
            )
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"medians of {rounds} round(s):")
    for label, key, note in (
        ("lienthong → SQLite", "sqlite", "validate + load, first load"),
        ("  same file again", "sqlite_reload", "the merge path: every row compared, unchanged"),
        ("lienthong → PostgreSQL", "postgres", "validate + load (COPY)"),
        ("frictionless validate", "frictionless", "validation only"),
        ("lienthong ingest check", "check", "read, map, validate; nothing written"),
        ("raw SQLite executemany", "raw", "write ceiling, no validation"),
        ("pandas read_csv+to_sql", "pandas", "SQLite, no validation"),
    ):
        print(f"{label:<23} {med[key]:>12,.0f} rows/s ({note})")
    slowest = min(med["sqlite"], med["postgres"])
    result = {
        "rows": rows,
        "rounds": rounds,
        "sqlite_rows_per_s": round(med["sqlite"]),
        "sqlite_reload_rows_per_s": round(med["sqlite_reload"]),
        "postgres_rows_per_s": round(med["postgres"]),
        "frictionless_rows_per_s": round(med["frictionless"]),
        "frictionless_rows": friction_rows,
        "ratio_vs_frictionless": round(slowest / med["frictionless"], 1),
        "validation_rows_per_s": round(med["check"]),
        "validation_ratio_vs_frictionless": round(med["check"] / med["frictionless"], 1),
        "raw_sqlite_executemany_rows_per_s": round(med["raw"]),
        "sqlite_vs_raw_executemany": round(med["sqlite"] / med["raw"], 2),
        "pandas_rows_per_s": round(med["pandas"]),
        "ratio_vs_pandas": round(slowest / med["pandas"], 2),
    }
    for mb in (50, 600):
        found = memory.get(mb)
        result[f"peak_rss_mib_{mb}mb"] = found["peak_rss_mib"] if found else None
        result[f"rows_per_s_{mb}mb"] = found["rows_per_s"] if found else None
    if args.quick:
        result["peak_rss_note"] = "600 MB not measured under --quick (null); run without it"
    print(
        f"vs frictionless-py: validation {result['validation_ratio_vs_frictionless']}×, "
        f"end to end {result['ratio_vs_frictionless']}× (slower engine)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
