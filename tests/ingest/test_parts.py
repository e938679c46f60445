"""A chunk written in parts (SQLite's short write transactions) ends as one transaction would;
its parts are committed one by one while reads wait for the write lock (an audit writer waits
for its turn) and together while none does; a run that failed between two committed parts of a
chunk resumes after the last one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lienthong.backends import backend_for
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest import job
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.plan import prepare
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.store.service import iter_frames
from lienthong.store.tables import ensure_tables
from tests.conftest import reset_database
from tests.ingest.factories import SYSTEM, citizen_row, personal_id, register_system, write_citizens

ROWS, CHUNK, PART = 120, 50, 7
INVALID = (5, 77, 110)  # row numbers (from 1) with a personal ID that contradicts the sex
FAILS_AT = 60  # in the second chunk's second part


@pytest.fixture
def parts(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(backend_for(engine), "part_rows", PART)
    return PART


def _file(path: Path) -> Path:
    rows = [citizen_row(n) for n in range(1, ROWS + 1)]
    for n in INVALID:
        rows[n - 1]["sex"] = "2"
    return write_citizens(path, rows)


def _ingest(engine: Engine, settings: Settings, path: Path) -> Batch:
    request = IngestRequest(path=path, standard="citizen", system=SYSTEM, chunk_rows=CHUNK)
    return ingest_file(engine=engine, settings=settings, request=request)


def _state(engine: Engine) -> dict[str, Any]:
    frames = iter_frames(engine_or_session=engine, dataset="citizen")
    data = sorted(
        r for f in frames for r in f.drop("_batch_id", "_loaded_at", "_updated_at").rows()
    )
    with transaction(engine) as session:
        [batch] = session.scalars(select(Batch))
        quarantine = sorted(q.row for q in session.scalars(select(QuarantineRow)))
        counts = (
            batch.rows_read,
            batch.rows_loaded,
            batch.rows_quarantined,
            batch.inserted,
            batch.chunks_done,
            batch.status,
        )
        return {"data": data, "quarantine": quarantine, "counts": counts}


def test_chunks_in_parts_end_as_whole_chunks(
    engine: Engine, settings: Settings, tmp_path: Path, parts: int
) -> None:
    path = _file(tmp_path / "citizens.csv")
    register_system(engine, settings)
    batch = _ingest(engine, settings, path)
    assert batch.report["part_rows"] == parts
    assert "parts_done" not in batch.report
    in_parts = _state(engine)

    reset_database(engine)
    register_system(engine, settings)
    whole = settings.model_copy(update={"ingest_yields_to_audit": False})
    assert _ingest(engine, whole, path).report["part_rows"] is None
    assert _state(engine) == in_parts
    assert in_parts["counts"] == (ROWS, ROWS - 3, 3, ROWS - 3, 3, "completed")
    assert in_parts["quarantine"] == list(INVALID)


def _boom(engine: Engine, table: str, key: str) -> None:
    """A trigger that refuses one row of the store table: the run fails inside a chunk."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER boom BEFORE INSERT ON {table} WHEN NEW.personal_id = '{key}' "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.personal_id = '{key}' THEN RAISE EXCEPTION 'boom'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER boom BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION boom()"
            )


def _defuse(engine: Engine, table: str) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER boom")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER boom ON {table}")
            conn.exec_driver_sql("DROP FUNCTION boom()")


@pytest.mark.parametrize("readers", ["waiting", "none"])
def test_run_failed_between_parts_resumes_after_the_last_part(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    parts: int,
    readers: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Whether an audit writer waits, as the job's probe of the turn files would say
    # (audit_waiting itself is tested on the real files in tests/audit/test_turns.py).
    monkeypatch.setattr(job, "audit_waiting", lambda _engine: readers == "waiting")
    path = _file(tmp_path / "citizens.csv")
    register_system(engine, settings)
    with transaction(engine) as session:
        spec = prepare(session=session, standard="citizen", mapping=None).spec
        current, _ = ensure_tables(session.connection(), spec)
    _boom(engine, current.name, personal_id(FAILS_AT))
    with pytest.raises(Exception, match="boom"):
        _ingest(engine, settings, path)
    with transaction(engine) as session:
        [batch] = session.scalars(select(Batch))
        assert batch.status == "failed"
        assert batch.chunks_done == 1
        if readers == "waiting":
            # Rows 51–57 (the second chunk's first part) are committed; the part with row 60
            # is not.
            assert batch.report["parts_done"] == {"chunk": 1, "parts": 1}
            assert batch.rows_loaded == (CHUNK - 1) + parts
        else:  # the chunk's parts in one transaction: none of them committed
            assert "parts_done" not in batch.report
            assert batch.rows_loaded == CHUNK - 1
        stored = session.scalar(select(func.count()).select_from(current))
        assert stored == batch.rows_loaded
    _defuse(engine, current.name)
    resumed_batch = _ingest(engine, settings, path)
    assert resumed_batch.resumed_from_chunk == 1
    resumed = _state(engine)

    reset_database(engine)
    register_system(engine, settings)
    _ingest(engine, settings, path)
    assert resumed == _state(engine)
    assert resumed["counts"][:3] == (ROWS, ROWS - 3, 3)
    assert len(resumed["data"]) == ROWS - 3


def test_sqlite_declares_short_write_transactions(engine: Engine) -> None:
    expected = 2_500 if engine.dialect.name == "sqlite" else None
    assert backend_for(engine).part_rows == expected
