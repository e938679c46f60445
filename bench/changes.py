"""Change-events benchmark: ingest → outbox → delivery worker → a real webhook receiver.

``events_per_s``: changes a consumer receives per second, end to end: a citizen file is
ingested (its inserts written to the outbox in the same transactions), the delivery worker
sends them as signed Standard Webhooks to a receiver on 127.0.0.1 that verifies every
signature; the clock runs from the start of the ingest to the last event received.

Baseline, measured in the same run on the same file: ``polling`` — the consumer polls the
store table itself for rows loaded since its last poll (``_updated_at``, its communes, its
fields), as a consumer without change events would; same clock (ingest start → last row read).
``ratio`` = events_per_s / polling rows per second.

``redelivered_after_kill``: a delivery worker (``lienthong changes deliver``, a real process)
is killed with SIGKILL mid-stream and started again; events received twice are counted
(at least once: the batch in flight at the kill), and ``lost`` must be 0.

    .venv/bin/python bench/changes.py            # 100,000 rows; SQLite
    .venv/bin/python bench/changes.py --quick    # 20,000 rows (kill test on 5,000); SQLite
    .venv/bin/python bench/changes.py --quick --backend postgresql   # BENCH_POSTGRES_URL

The last line of output is one JSON object.
"""

from __future__ import annotations

import lienthong  # noqa: F401  # isort: skip

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, select, text
from standardwebhooks.webhooks import Webhook

from ingest import PG_URL, SYSTEM, make_csv, register  # bench/ingest.py, beside this one
from lienthong.changes.schemas import SubscriptionCreate
from lienthong.changes.service import subscribe
from lienthong.changes.worker import run
from lienthong.config import Settings
from lienthong.db import make_engine, transaction
from lienthong.exchange.grants import communes_of
from lienthong.exchange.models import Grant
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.people import models as _people  # noqa: F401  (grants name their requester)
from lienthong.prepare import prepare_database
from lienthong.registry.models import InformationSystem
from lienthong.registry.systems import get_system
from lienthong.standards.service import builtin_document

FIELDS = ["personal_id", "full_name", "commune_code"]


class Receiver:
    """Verifies each message's signature and keeps the positions received (with repeats)."""

    def __init__(self) -> None:
        self.secret = ""
        self.positions: list[int] = []
        self.lock = threading.Lock()
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                payload = Webhook(box.secret).verify(body, dict(self.headers.items()))
                with box.lock:
                    box.positions.extend(e["position"] for e in payload["events"])
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/changes"

    def count(self) -> int:
        with self.lock:
            return len(self.positions)

    def distinct(self) -> int:
        with self.lock:
            return len(set(self.positions))

    def wait(self, n: int, seconds: float) -> None:
        """Until ``n`` different events arrived (a repeat counts once), or ``seconds``."""
        end = time.monotonic() + seconds
        while self.distinct() < n and time.monotonic() < end:
            time.sleep(0.005)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def database(backend: str, folder: Path) -> tuple[str, Any]:
    """A fresh database URL and what drops it afterwards."""
    if backend == "sqlite":
        return f"sqlite+pysqlite:///{folder / 'bench.db'}", lambda: None
    schema = f"bench_changes_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def setup(url: str, data_dir: Path) -> tuple[Engine, Settings, int]:
    """The database, the loading system, a consumer system with an approved grant (province
    33, three fields); returns the consumer's system id."""
    settings = Settings(environment="test", data_dir=data_dir, database_url=url)
    engine = make_engine(settings)
    prepare_database(engine)
    register(engine, settings)
    org = SYSTEM.split("/")[0]
    version = int(builtin_document("citizen")["version"])
    with transaction(engine) as session:
        consumer = InformationSystem(
            organisation_id=get_system(
                session=session, organisation=org, code="dancu"
            ).organisation_id,
            code="consumer",
            name="Consumer",
        )
        session.add(consumer)
        session.flush()
        session.add(
            Grant(
                system_id=consumer.id,
                dataset="citizen",
                version=version,
                fields=FIELDS,
                units=["33"],
                communes=communes_of(session=session, codes=["33"]),
                purposes=["public-service"],
                expires_on=date.today() + timedelta(days=30),
                status="approved",
            )
        )
        return engine, settings, consumer.id


def subscribed(
    url: str, data_dir: Path, receiver: Receiver, **options: Any
) -> tuple[Engine, Settings]:
    """:func:`setup`, and the consumer subscribed by webhook to ``receiver`` (``options``: the
    subscription's other fields), the receiver told the signing secret."""
    engine, settings, consumer = setup(url, data_dir)
    data = SubscriptionCreate(
        dataset="citizen", purpose="public-service", webhook_url=receiver.url, **options
    )
    with transaction(engine) as session:
        _sub, secret = subscribe(
            session=session,
            settings=settings,
            system_id=consumer,
            data=data,
            actor={"kind": "operator"},
            today=date.today(),
        )
    receiver.secret = secret or ""
    return engine, settings


def ingest(engine: Engine, settings: Settings, path: Path) -> int:
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system=SYSTEM),
    )
    return batch.rows_loaded


def measure_events(backend: str, rows: int, work: Path) -> dict[str, float]:
    url, drop = database(backend, work)
    receiver = Receiver()
    try:
        engine, settings = subscribed(url, work / "data", receiver)
        path = work / "events.csv"
        make_csv(path, rows)
        stop = threading.Event()
        worker = threading.Thread(
            target=run, args=(engine, settings), kwargs={"stop": stop, "interval": 0.02}
        )
        started = time.perf_counter()
        worker.start()
        loaded = ingest(engine, settings, path)
        receiver.wait(loaded, 600)
        elapsed = time.perf_counter() - started
        stop.set()
        worker.join()
        received = receiver.count()
        engine.dispose()
        return {
            "events": received,
            "loaded": loaded,
            "seconds": elapsed,
            "events_per_s": received / elapsed,
        }
    finally:
        receiver.close()
        drop()


def measure_polling(backend: str, rows: int, work: Path) -> dict[str, float]:
    """The baseline: the consumer polls the store table for what was loaded since."""
    url, drop = database(backend, work)
    try:
        engine, settings, _consumer = setup(url, work / "data")
        path = work / "poll.csv"
        make_csv(path, rows)
        with transaction(engine) as session:
            communes = communes_of(session=session, codes=["33"])
        version = int(builtin_document("citizen")["version"])
        seen = 0
        expected = 0
        done = threading.Event()

        def poll() -> None:
            nonlocal seen
            since = None
            table: Table | None = None
            with engine.connect() as conn:
                while not (done.is_set() and seen >= expected):
                    if table is None:
                        if not conn.dialect.has_table(conn, f"store_citizen_v{version}"):
                            conn.rollback()
                            time.sleep(0.02)
                            continue
                        table = Table(f"store_citizen_v{version}", MetaData(), autoload_with=conn)
                    stmt = select(*[table.c[f] for f in FIELDS], table.c._updated_at).where(
                        table.c.commune_code.in_(communes)
                    )
                    if since is not None:
                        stmt = stmt.where(table.c._updated_at > since)
                    got = conn.execute(stmt.order_by(table.c._updated_at)).all()
                    conn.rollback()
                    if got:
                        seen += len(got)
                        since = got[-1]._updated_at
                    else:
                        time.sleep(0.02)

        poller = threading.Thread(target=poll)
        started = time.perf_counter()
        poller.start()
        expected = ingest(engine, settings, path)
        done.set()
        poller.join(600)
        elapsed = time.perf_counter() - started
        engine.dispose()
        return {"rows": seen, "seconds": elapsed, "rows_per_s": seen / elapsed}
    finally:
        drop()


def measure_kill(backend: str, rows: int, work: Path) -> dict[str, int]:
    url, drop = database(backend, work)
    receiver = Receiver()
    try:
        engine, settings = subscribed(url, work / "data", receiver, from_position=0)
        path = work / "kill.csv"
        make_csv(path, rows)
        loaded = ingest(engine, settings, path)
        env = os.environ | {
            "LIENTHONG_DATABASE_URL": url,
            "LIENTHONG_DATA_DIR": str(work / "data"),
            "LIENTHONG_ENVIRONMENT": "test",
            "LIENTHONG_AUTO_UPGRADE": "false",
        }
        command = [
            sys.executable,
            "-m",
            "lienthong.command",
            "changes",
            "deliver",
            "--batch",
            "100",
            "--interval",
            "0.02",
        ]
        worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        receiver.wait(loaded // 2, 300)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        at_kill = receiver.count()
        worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        receiver.wait(loaded, 300)
        time.sleep(1.0)  # any repeat still in flight
        worker.send_signal(signal.SIGTERM)
        worker.wait()
        with receiver.lock:
            positions = list(receiver.positions)
        engine.dispose()
        unique = set(positions)
        return {
            "events": loaded,
            "received_at_kill": at_kill,
            "redelivered_after_kill": len(positions) - len(unique),
            "lost": loaded - len(unique),
        }
    finally:
        receiver.close()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 rows (kill test 5,000)")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    rows = args.rows or (20_000 if args.quick else 100_000)
    kill_rows = 5_000 if args.quick else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("events", "poll", "kill"):
            (work / name).mkdir()
        events = measure_events(args.backend, rows, work / "events")
        print("events", events, flush=True)
        polling = measure_polling(args.backend, rows, work / "poll")
        print("polling", polling, flush=True)
        kill = measure_kill(args.backend, kill_rows, work / "kill")
        print("kill", kill, flush=True)
    result = {
        "backend": args.backend,
        "rows": rows,
        "events_per_s": round(events["events_per_s"], 1),
        "events_received": events["events"],
        "baseline": "polling: the consumer polls the store table by _updated_at",
        "polling_rows_per_s": round(polling["rows_per_s"], 1),
        "ratio": round(events["events_per_s"] / polling["rows_per_s"], 3),
        "redelivered_after_kill": kill["redelivered_after_kill"],
        "lost_after_kill": kill["lost"],
        "kill_events": kill["events"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
