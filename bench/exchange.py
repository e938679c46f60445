"""Audited, grant-checked reads through a real server, beside its /healthz; audit appends/s;
time to verify 1,000,000 audit entries; reads while a large file ingests.

    python bench/exchange.py [--quick] [--workers N]
        [--database-url postgresql+psycopg://…/DB] [--engines sqlite,postgresql]
    python bench/exchange.py [--quick]
    python bench/exchange.py --during-ingest [--quick] [--database-url URL]

Builds a store with citizen records and an approved grant (a temp SQLite file; on PostgreSQL a
fresh schema of the given database, dropped afterwards, so the database need not be empty),
starts `lienthong serve` (one worker by default, `--workers N`) on 127.0.0.1, and drives it with
a keep-alive load generator at 100 connections. On PostgreSQL the same store is then served by
two workers (and N when N > 2), for the scaling ratio, and by one worker with
LIENTHONG_ASYNC_READS=false (the blocking read path: ``pg_async_vs_blocking``). With both
engines, SQLite is the baseline of the PostgreSQL figures (``pg_vs_sqlite``). Audit appends
are fed as the server feeds them: entries handed to the group-commit writer per event-loop
turn, each awaited until committed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, text

from ingest import make_csv  # the generated citizen file of bench/ingest.py
from lienthong.audit import chain
from lienthong.audit.service import audit_keys
from lienthong.audit.verify import verify
from lienthong.audit.writer import AuditWriter
from lienthong.config import Settings
from lienthong.db import make_engine, transaction
from lienthong.exchange import grants
from lienthong.exchange.schemas import GrantRequest
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.people.service import person_for_sign_in
from lienthong.prepare import prepare_database
from lienthong.registry import organisations, owners, systems
from lienthong.registry.schemas import OrganisationCreate, SystemCreate
from loadgen import (
    CpuUse,
    LoadResult,
    free_port,
    median,
    run_load,
    start_server,
    wait_ready,
)

TOKEN = "bench-operator-token-0123456789abcdef"  # noqa: S105 - a throwaway bench server
COMMUNE = "12166"


def personal_id(n: int) -> str:
    return f"0330{90:02d}{n:06d}"


def build(settings: Settings, persons: int) -> tuple[str, str]:
    engine = make_engine(settings)
    prepare_database(engine)
    who = {"settings": settings, "actor": {"kind": "operator"}}
    with transaction(engine) as s:
        for code in ("H33.01", "H33.05"):
            organisations.create_organisation(
                session=s,
                **who,
                data=OrganisationCreate(
                    code=code, name=f"Sở {code}", level="province", unit_code="33"
                ),
            )
        systems.create_system(
            session=s, **who, organisation="H33.01", data=SystemCreate(code="hoso", name="Hộ tịch")
        )
        consumer = systems.create_system(
            session=s, **who, organisation="H33.05", data=SystemCreate(code="portal", name="Cổng")
        )
        credential, secret = systems.issue_credential(
            session=s, **who, organisation="H33.05", system="portal"
        )
        grant = grants.request_grant(
            session=s,
            settings=settings,
            system=consumer,
            actor={"kind": "operator"},
            known_fields=None,
            data=GrantRequest(
                dataset="citizen",
                fields=["personal_id", "full_name", "date_of_birth"],
                units=["33"],
                purposes=["public-service"],
                expires_on=date.today() + timedelta(days=30),
            ),
        )
        # Decided as a data steward of the dataset's owner (one approval).
        owners.set_owner(
            session=s,
            settings=settings,
            dataset="citizen",
            organisation="H33.01",
            four_eyes=False,
            actor={"kind": "operator"},
        )
        steward = person_for_sign_in(
            s, issuer="bench", subject="steward", name="Steward", personal_id=None
        )
        grants.decide(
            session=s,
            settings=settings,
            grant_id=grant.id,
            approve=True,
            organisation="H33.01",
            decider=grants.Decider(
                steward.id, steward.name, frozenset({"H33.01"}), {"kind": "person"}
            ),
        )
        client_id = credential.client_id
    path = settings.data_dir / "citizens.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "personal_id",
                "full_name",
                "sex",
                "date_of_birth",
                "ethnic_code",
                "commune_code",
                "address_line",
                "phone",
            ]
        )
        for n in range(1, persons + 1):
            out.writerow(
                [
                    personal_id(n),
                    f"Nguyễn Văn {n}",
                    "1",
                    "1990-05-17",
                    "01",
                    COMMUNE,
                    f"Số {n}",
                    f"09{n:08d}",
                ]
            )
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.01/hoso"),
    )
    engine.dispose()
    return client_id, secret


def appends_per_second(settings: Settings, count: int) -> float:
    engine = make_engine(settings, url=f"sqlite+pysqlite:///{settings.data_dir / 'a.db'}")
    prepare_database(engine)
    writer = AuditWriter(engine, audit_keys(settings), batch_max=settings.audit_batch_max)
    writer.start()
    entry = {
        "action": "data.read",
        "actor": {"kind": "system", "organisation": "H33.05", "system": "portal"},
        "dataset": "citizen",
        "count": 1,
        "purpose": "public-service",
        "outcome": "ok",
        "subjects": ["ab" * 32],
    }

    async def readers() -> None:
        # As the server feeds it: entries handed over per event-loop turn, each awaited.
        await asyncio.gather(*[writer.enqueue(entry) for _ in range(count)])

    start = time.perf_counter()
    asyncio.run(readers())
    seconds = time.perf_counter() - start
    writer.stop()
    engine.dispose()
    return count / seconds


def verify_seconds(settings: Settings, count: int) -> float:
    engine = make_engine(settings, url=f"sqlite+pysqlite:///{settings.data_dir / 'v.db'}")
    prepare_database(engine)
    keys = audit_keys(settings)
    entry = {
        "action": "data.read",
        "actor": {"kind": "system", "organisation": "H33.05", "system": "portal"},
        "dataset": "citizen",
        "count": 1,
        "outcome": "ok",
    }
    for _ in range(0, count, 50_000):
        with engine.begin() as conn:
            chain.append(
                conn,
                [entry] * 50_000,
                signer=chain.Signer.of(keys.signing_key, keys.key_id, 10_000, 60),
            )
    start = time.perf_counter()
    with engine.connect() as conn:
        report = verify(conn, keys.signing_key.public_key())
    seconds = time.perf_counter() - start
    assert report.ok and report.entries >= count, report.problems[:3]
    engine.dispose()
    return seconds * 1_000_000 / report.entries


@contextmanager
def fresh_store(database_url: str | None, tmp: Path) -> Iterator[str | None]:
    """None for a temp SQLite file; on PostgreSQL the URL of a new schema, dropped afterwards."""
    if database_url is None:
        yield None
        return
    schema = f"lt_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def serve_and_load(
    env: dict[str, str],
    client_id: str,
    secret: str,
    persons: int,
    *,
    workers: int,
    seconds: float,
    rounds: int,
) -> dict[str, Any]:
    """Rounds of /healthz and of audited reads against one server; medians of the rounds."""
    port = free_port()
    server = start_server(env, port, workers=workers)
    try:
        try:
            wait_ready("127.0.0.1", port, timeout=180)
        except RuntimeError:
            server.terminate()
            _, err = server.communicate(timeout=30)
            raise RuntimeError(err.decode(errors="replace")[-2000:]) from None
        time.sleep(1.0)
        token = httpx.post(
            f"http://127.0.0.1:{port}/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
            timeout=120,  # a busy shared machine
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "public-service"}
        paths = [f"/api/v1/data/citizen/{personal_id(n)}" for n in range(1, persons + 1)]
        run_load(
            "127.0.0.1", port, paths[:200], connections=100, seconds=1.0, headers=headers
        )  # warm the workers
        health, reads = [], []
        cpu: list[dict[str, float]] = []
        for _ in range(rounds):
            health.append(
                run_load("127.0.0.1", port, ["/healthz"], connections=100, seconds=seconds)
            )
            with CpuUse(server.pid) as use:
                reads.append(
                    run_load(
                        "127.0.0.1", port, paths, connections=100, seconds=seconds, headers=headers
                    )
                )
            cpu.append(use.cores)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert all(r.errors == 0 for r in reads), [r.errors for r in reads]
    return {
        "reads_per_s": round(median([r.per_second for r in reads])),
        "p50_ms": round(median([r.percentile(50) for r in reads]), 2),
        "p99_ms": round(median([r.percentile(99) for r in reads]), 2),
        "healthz_per_s": round(median([h.per_second for h in health])),
        # cores used while the reads ran (medians of the rounds): where they run out, more
        # workers add no reads
        "cpu": {k: round(median([c[k] for c in cpu]), 3) for k in cpu[0]},
    }


def bench_env(tmp: str, database_url: str | None) -> dict[str, str]:
    env = os.environ | {
        "LIENTHONG_ENVIRONMENT": "development",
        "LIENTHONG_DATA_DIR": tmp,
        "LIENTHONG_OPERATOR_TOKEN": TOKEN,
        "LIENTHONG_LOG_LEVEL": "warning",
        "LIENTHONG_RATE_LIMIT_PER_SECOND": "1000000",
        "LIENTHONG_RATE_LIMIT_BURST": "1000000",
    }
    env.pop("LIENTHONG_DATABASE_URL", None)
    if database_url:
        env["LIENTHONG_DATABASE_URL"] = database_url
    return env


def access_token(port: int, client_id: str, secret: str) -> str:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    return str(answer.json()["access_token"])


def reads_during_ingest(
    *, rows: int, database_url: str | None, yields: bool, persons: int = 2_000
) -> dict[str, Any]:
    """Reads at 16 connections: alone for a few seconds, then while a file of ``rows`` ingests
    in another process (``lienthong ingest file``, as an operator runs it)."""
    connections = 16
    with tempfile.TemporaryDirectory() as tmp:
        env = bench_env(tmp, database_url)
        env["LIENTHONG_INGEST_YIELDS_TO_AUDIT"] = "true" if yields else "false"
        settings = Settings(
            environment="development",
            data_dir=Path(tmp),
            operator_token=TOKEN,
            database_url=database_url,
            ingest_yields_to_audit=yields,
        )
        client_id, secret = build(settings, persons)
        big = Path(tmp) / "province.csv"
        make_csv(big, rows)
        port = free_port()
        server = start_server(env, port)
        try:
            wait_ready("127.0.0.1", port, timeout=180)  # a loaded machine starts slowly
            time.sleep(1.0)
            headers = {
                "Authorization": f"Bearer {access_token(port, client_id, secret)}",
                "X-Purpose": "public-service",
            }
            paths = [f"/api/v1/data/citizen/{personal_id(n)}" for n in range(1, persons + 1)]
            run_load("127.0.0.1", port, paths[:200], connections=connections, seconds=1.0,
                     headers=headers)  # fmt: skip
            alone = run_load(
                "127.0.0.1", port, paths, connections=connections, seconds=3.0, headers=headers
            )
            command = [str(Path(sys.executable).parent / "lienthong"), "ingest", "file", str(big)]
            command += ["--standard", "citizen", "--system", "H33.01/hoso", "--json"]
            started = time.perf_counter()
            job = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
            during = LoadResult(0, 0, 0.0, [])
            while job.poll() is None:
                part = run_load(
                    "127.0.0.1", port, paths, connections=connections, seconds=1.0, headers=headers
                )
                during.requests += part.requests
                during.errors += part.errors
                during.seconds += part.seconds
                during.latencies_ms += part.latencies_ms
            wall = time.perf_counter() - started
            out, _ = job.communicate()
            assert job.returncode in (0, 3), f"ingest exited {job.returncode}"
            batch = json.loads(out)
        finally:
            server.terminate()
            server.wait(timeout=30)
        verified = subprocess.run(
            [str(Path(sys.executable).parent / "lienthong"), "audit", "verify", "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
    return {
        "alone_reads_per_s": round(alone.per_second),
        "alone_p99_ms": round(alone.percentile(99), 1),
        "reads_per_s": round(during.per_second),
        "p50_ms": round(during.percentile(50), 1),
        "p99_ms": round(during.percentile(99), 1),
        "max_ms": round(max(during.latencies_ms, default=0.0), 1),
        "errors": during.errors,
        "ingest_rows": batch["rows_read"],
        "ingest_rows_per_s": round(batch["rows_read"] / wall),
        "ingest_seconds": round(wall, 2),
        "audit_verified": True,
    }


def during_ingest(args: argparse.Namespace) -> None:
    rows = 200_000 if args.quick else 1_000_000
    before = reads_during_ingest(rows=rows, database_url=None, yields=False)
    after = reads_during_ingest(rows=rows, database_url=None, yields=True)
    result: dict[str, Any] = {
        "sqlite_reads_during_ingest_p99_ms": after["p99_ms"],
        "sqlite_max_read_stall_ms": after["max_ms"],
        "sqlite_reads_during_ingest_per_s": after["reads_per_s"],
        "sqlite_ingest_rows_per_s": after["ingest_rows_per_s"],
        "baseline": "LIENTHONG_INGEST_YIELDS_TO_AUDIT=false (the ingest does not yield)",
        "baseline_sqlite_reads_during_ingest_p99_ms": before["p99_ms"],
        "baseline_sqlite_max_read_stall_ms": before["max_ms"],
        "baseline_sqlite_reads_during_ingest_per_s": before["reads_per_s"],
        "baseline_sqlite_ingest_rows_per_s": before["ingest_rows_per_s"],
        "p99_ratio_vs_baseline": round(after["p99_ms"] / max(0.1, before["p99_ms"]), 3),
        "ingest_rows_per_s_ratio_vs_baseline": round(
            after["ingest_rows_per_s"] / max(1, before["ingest_rows_per_s"]), 3
        ),
        "rows": rows,
        "connections": 16,
        "sqlite_before": before,
        "sqlite_after": after,
    }
    if args.database_url:
        pg = reads_during_ingest(rows=rows, database_url=args.database_url, yields=True)
        result |= {
            "pg_reads_during_ingest_p99_ms": pg["p99_ms"],
            "pg_max_read_stall_ms": pg["max_ms"],
            "pg_ingest_rows_per_s": pg["ingest_rows_per_s"],
            "postgresql": pg,
        }
    for name, run in (("before", before), ("after", after)):
        print(
            f"SQLite {name}: reads alone {run['alone_reads_per_s']}/s p99 {run['alone_p99_ms']} ms;"
            f" during ingest {run['reads_per_s']}/s p99 {run['p99_ms']} ms max {run['max_ms']} ms;"
            f" ingest {run['ingest_rows_per_s']} rows/s"
        )
    print(json.dumps(result))


def measure_engine(
    database_url: str | None, worker_counts: list[int], persons: int, seconds: float, rounds: int
) -> dict[int | str, dict[str, Any]]:
    """One store on the engine, served in turn by each number of workers; on PostgreSQL also
    by one worker reading on one blocking connection (``blocking``: the read path before the
    asynchronous pool, the baseline of its figures)."""
    with tempfile.TemporaryDirectory() as tmp, fresh_store(database_url, Path(tmp)) as url:
        env = os.environ | {
            "LIENTHONG_ENVIRONMENT": "development",
            "LIENTHONG_DATA_DIR": tmp,
            "LIENTHONG_OPERATOR_TOKEN": TOKEN,
            "LIENTHONG_LOG_LEVEL": "warning",
            "LIENTHONG_RATE_LIMIT_PER_SECOND": "1000000",
            "LIENTHONG_RATE_LIMIT_BURST": "1000000",
        }
        env.pop("LIENTHONG_DATABASE_URL", None)
        if url:
            env["LIENTHONG_DATABASE_URL"] = url
        settings = Settings(
            environment="development", data_dir=Path(tmp), operator_token=TOKEN, database_url=url
        )
        client_id, secret = build(settings, persons)
        out: dict[int | str, dict[str, Any]] = {}
        for n in worker_counts:
            out[n] = serve_and_load(
                env, client_id, secret, persons, workers=n, seconds=seconds, rounds=rounds
            )
        if url:
            out["blocking"] = serve_and_load(
                env | {"LIENTHONG_ASYNC_READS": "false"},
                client_id,
                secret,
                persons,
                workers=1,
                seconds=seconds,
                rounds=rounds,
            )
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to serve from (a fresh schema in it per run), "
        "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench",
    )
    parser.add_argument(
        "--engines",
        help="engines measured in this run, comma-separated (default: postgresql when "
        "--database-url is given, else sqlite)",
    )
    parser.add_argument(
        "--during-ingest",
        action="store_true",
        help="reads at 16 connections while a large file ingests (SQLite before/after)",
    )
    args = parser.parse_args()
    if args.during_ingest:
        during_ingest(args)
        return
    engines = (args.engines or ("postgresql" if args.database_url else "sqlite")).split(",")
    if "postgresql" in engines and not args.database_url:
        parser.error("--engines postgresql needs --database-url")
    persons, seconds, rounds = (2_000, 2.5, 2) if args.quick else (10_000, 8.0, 3)
    load_before = os.getloadavg()
    figures: dict[str, dict[int | str, dict[str, Any]]] = {}
    for name in engines:
        counts = [args.workers]
        if name == "postgresql":  # the scaling ratio needs one and two workers
            counts = sorted({1, 2, args.workers})
        figures[name] = measure_engine(
            args.database_url if name == "postgresql" else None, counts, persons, seconds, rounds
        )
    first = figures[engines[0]]
    main_run = first[args.workers]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(environment="development", data_dir=Path(tmp), operator_token=TOKEN)
        appends = appends_per_second(settings, 20_000 if args.quick else 100_000)
        verify_1m = verify_seconds(settings, 100_000 if args.quick else 1_000_000)
    result: dict[str, object] = {
        **main_run,
        "audit_appends_per_s": round(appends),
        "verify_1m_s": round(verify_1m, 2),
        "records": persons,
        "connections": 100,
        "workers": args.workers,
        "engine": engines[0],
        "engines": engines,
        "reads_vs_healthz": round(main_run["reads_per_s"] / max(1, main_run["healthz_per_s"]), 3),
    }
    if "sqlite" in figures:
        lite = figures["sqlite"][args.workers]
        result |= {"sqlite_reads_per_s": lite["reads_per_s"], "sqlite_p99_ms": lite["p99_ms"]}
    if "postgresql" in figures:
        pg = figures["postgresql"]
        result |= {
            "pg_reads_per_s": pg[1]["reads_per_s"],
            "pg_p50_ms": pg[1]["p50_ms"],
            "pg_p99_ms": pg[1]["p99_ms"],
            "pg_healthz_per_s": pg[1]["healthz_per_s"],
            "pg_scaling_2": round(pg[2]["reads_per_s"] / max(1, pg[1]["reads_per_s"]), 3),
            "pg_workers": {str(n): f for n, f in pg.items()},
            "pg_blocking_reads_per_s": pg["blocking"]["reads_per_s"],
            "pg_blocking_p99_ms": pg["blocking"]["p99_ms"],
            "pg_async_vs_blocking": round(
                pg[1]["reads_per_s"] / max(1, pg["blocking"]["reads_per_s"]), 3
            ),
        }
        if args.workers > 2:
            result[f"pg_scaling_{args.workers}"] = round(
                pg[args.workers]["reads_per_s"] / max(1, pg[1]["reads_per_s"]), 3
            )
        if "sqlite" in figures:
            result["pg_vs_sqlite"] = round(
                pg[1]["reads_per_s"] / max(1, figures["sqlite"][args.workers]["reads_per_s"]), 3
            )
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    for name, runs in figures.items():
        for n, f in runs.items():
            print(
                f"{name}, {n} worker(s) : audited reads/s {f['reads_per_s']} (p50 {f['p50_ms']} "
                f"ms, p99 {f['p99_ms']} ms) vs /healthz {f['healthz_per_s']}/s; "
                f"cores used {f['cpu']}"
            )
    print(f"audit appends/s {result['audit_appends_per_s']}; verify 1M entries {verify_1m:.2f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
