"""Crash safety: an ingest killed with SIGKILL mid-batch and run again ends like a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.store.service import iter_frames
from tests.conftest import reset_database
from tests.ingest.factories import SYSTEM, citizen_row, register_system, write_citizens

ROWS = 40_000
CHUNK = 500


def _file(path: Path) -> Path:
    rows = [citizen_row(i) for i in range(1, ROWS + 1)]
    for i in range(0, ROWS, 97):
        rows[i]["sex"] = "2"  # personal-id-mismatch
    for i in range(50, ROWS, 1013):
        rows[i] = citizen_row(i - 40)  # duplicate-key
    return write_citizens(path, rows)


def _command(path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "lienthong.cli",
        "ingest",
        str(path),
        "--standard",
        "citizen",
        "--system",
        SYSTEM,
        "--chunk-rows",
        str(CHUNK),
        "--json",
    ]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LIENTHONG_DATABASE_URL": settings.resolved_database_url,
        "LIENTHONG_DATA_DIR": str(settings.data_dir),
        "LIENTHONG_ENVIRONMENT": "test",
        "LIENTHONG_AUTO_UPGRADE": "false",
    }


def _snapshot(engine: Engine) -> dict[str, Any]:
    frames = list(iter_frames(engine_or_session=engine, dataset="citizen"))
    with transaction(engine) as session:
        batches = list(session.scalars(select(Batch)))
        quarantine = sorted(
            (q.row, tuple(sorted(f["code"] for f in q.findings)))
            for q in session.scalars(select(QuarantineRow))
        )
        count = session.scalar(select(func.count()).select_from(QuarantineRow))
    data = sorted(
        row for f in frames for row in f.drop("_batch_id", "_loaded_at", "_updated_at").rows()
    )
    [batch] = batches
    return {
        "data": data,
        "quarantine": quarantine,
        "quarantine_count": count,
        "counts": (
            batch.rows_read,
            batch.rows_loaded,
            batch.rows_quarantined,
            batch.inserted,
            batch.status,
        ),
    }


def _progress(engine: Engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.max(Batch.chunks_done))) or 0


def test_kill_and_resume_equals_clean_run(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    path = _file(tmp_path / "citizens.csv")
    register_system(engine, settings)
    process = subprocess.Popen(
        _command(path), env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while _progress(engine) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the ingest ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = _progress(engine)
    assert 3 <= done < ROWS // CHUNK
    rerun = subprocess.run(
        _command(path), env=_env(settings), capture_output=True, text=True, check=False
    )
    assert rerun.returncode == 3, rerun.stderr  # loaded; the file's invalid rows quarantined
    resumed = _snapshot(engine)

    reset_database(engine)
    register_system(engine, settings)
    clean = subprocess.run(
        _command(path), env=_env(settings), capture_output=True, text=True, check=False
    )
    assert clean.returncode == 3, clean.stderr
    expected = _snapshot(engine)

    assert resumed["counts"] == expected["counts"]
    assert resumed["counts"][0] == ROWS
    assert resumed["quarantine_count"] == len(expected["quarantine"]) == expected["counts"][2]
    assert resumed["quarantine"] == expected["quarantine"]
    assert resumed["data"] == expected["data"]
    assert len(resumed["data"]) == expected["counts"][1]
