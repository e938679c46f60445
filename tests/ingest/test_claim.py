"""One run per input at a time: a second identical run while the first holds its claim."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from lienthong.config import Settings
from lienthong.ingest.claim import BatchInProgress, claim
from lienthong.ingest.service import IngestRequest, checksum, ingest_file
from tests.conftest import new_database
from tests.ingest.factories import SYSTEM, citizen_row, register_system, write_citizens


def test_an_identical_run_waits_its_turn(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", [citizen_row(i) for i in range(1, 6)])
    request = IngestRequest(path=path, standard="citizen", system=SYSTEM)
    key = f"{checksum(path)}|citizen|1|{SYSTEM}"
    with claim(engine, key):  # what a run in another thread or process holds
        with pytest.raises(BatchInProgress) as caught:
            ingest_file(engine=engine, settings=settings, request=request)
        assert caught.value.code == "batch-in-progress" and caught.value.status == 409
        # Another input is not held up.
        other = write_citizens(tmp_path / "khac.csv", [citizen_row(9)])
        done = ingest_file(
            engine=engine,
            settings=settings,
            request=IngestRequest(path=other, standard="citizen", system=SYSTEM),
        )
        assert done.status == "completed"
    batch = ingest_file(
        engine=engine, settings=settings, request=request
    )  # released: the run goes ahead
    assert (batch.status, batch.rows_loaded) == ("completed", 5)


def test_a_claim_excludes_other_threads_and_is_released(engine: Engine) -> None:
    results: list[str] = []
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with claim(engine, "k"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)
    try:
        with claim(engine, "k"):
            results.append("second")
    except BatchInProgress:
        results.append("refused")
    release.set()
    thread.join(10)
    with claim(engine, "k"):
        results.append("after")
    assert results == ["refused", "after"]


HOLDER = """
import sys
from sqlalchemy import create_engine
from lienthong.ingest.claim import claim
with claim(create_engine(sys.argv[1]), "k"):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_claim_excludes_other_processes_and_dies_with_its_holder(
    engine: Engine, settings: Settings
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, settings.resolved_database_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(BatchInProgress), claim(engine, "k"):
            pass
    finally:
        holder.kill()  # like kill -9: no clean release
        holder.wait(10)
    with claim(engine, "k"):
        pass


def test_a_claim_belongs_to_its_own_database(backend: str, engine: Engine, tmp_path: Path) -> None:
    # Two platforms on one PostgreSQL server (a schema each, as parallel test sessions are) or
    # two SQLite files in one process load the same input independently.
    with new_database(backend, tmp_path) as url:
        other = create_engine(url)
        try:
            with claim(engine, "k"), claim(other, "k"):
                pass
        finally:
            other.dispose()
