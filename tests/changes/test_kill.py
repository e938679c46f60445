"""A delivery worker killed mid-stream (SIGKILL, a real process) and started again loses no
change and keeps each record's changes in order; what it sent but had not yet recorded as
acknowledged is sent again under the same message id, which the receiver drops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.store.outbox import OutboxEvent
from tests.changes.conftest import Feed, citizens
from tests.changes.receiver import Received
from tests.ingest.factories import citizen_row

RECORDS = 60


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "LIENTHONG_DATABASE_URL": settings.resolved_database_url,
        "LIENTHONG_DATA_DIR": str(settings.data_dir),
        "LIENTHONG_ENVIRONMENT": "test",
        "LIENTHONG_AUTO_UPGRADE": "false",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lienthong.command",
            "changes",
            "deliver",
            "--batch",
            "5",
            "--interval",
            "0.05",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(box: Received, count: int, seconds: float) -> None:
    """Until ``count`` different changes arrived (a repeat counts once)."""
    end = time.monotonic() + seconds
    while len({e["position"] for e in box.events()}) < count and time.monotonic() < end:
        time.sleep(0.02)


def test_a_worker_killed_mid_stream_loses_nothing_and_keeps_order_per_record(feed: Feed) -> None:
    box, engine, settings = feed.box, feed.engine, feed.settings
    feed.ingest(citizens(RECORDS))
    feed.ingest([citizen_row(n, full_name=f"Đổi {n}") for n in range(1, RECORDS + 1)])
    with Session(engine) as session:
        expected = list(session.scalars(select(OutboxEvent.position).order_by("position")))
    assert len(expected) == 2 * RECORDS

    box.delay = 0.02  # slow enough that the kill lands mid-stream
    worker = _worker(settings)
    _wait(box, RECORDS // 2, 60)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    assert worker.returncode == -signal.SIGKILL
    before = len(box.events())
    assert 0 < before < len(expected)  # killed mid-stream

    worker = _worker(settings)
    try:
        _wait(box, len(expected), 90)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(20)

    seen: dict[str, list[int]] = defaultdict(list)
    unique: set[str] = set()
    for message, body in list(box.messages):
        if message in unique:
            continue  # a receiver drops a message id it has
        unique.add(message)
        for event in body["events"]:
            seen[event["key"]].append(event["position"])
    got = sorted(p for positions in seen.values() for p in positions)
    assert got == expected  # nothing lost, nothing twice once deduplicated by message id
    assert all(ps == sorted(ps) and len(ps) == 2 for ps in seen.values())
    redelivered = len(box.events()) - len(expected)
    assert redelivered <= 5  # at most the one batch in flight at the kill
