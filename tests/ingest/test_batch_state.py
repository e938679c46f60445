"""A batch's state in columns, its report one summary model: the migration moves old batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from lienthong import migrate
from tests.conftest import new_database

OLD_REPORT = {
    "since": "4",
    "watermark": "changed",
    "file_findings": [],
    "started_on_empty_store": True,
    "finding_counts": {"missing-value:full_name": 1},
    "examples": [{"row": 2, "field": "full_name", "code": "missing-value"}],
    "resumed_from_chunk": 3,
    "error": "interrupted",
    "timings": {"waiting_for_validation": 0.5, "load": 1.25, "total": 2.0},
    "rows_per_s": 10,
    "watermark_max": "9",
}


@pytest.fixture
def bare_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema yet."""
    with new_database(backend, tmp_path) as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


def _insert_old_batch(engine: Engine, report: dict[str, object]) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ingest_batches (id, standard, standard_version, source_system, "
                "source_name, format, checksum, status, chunks_done, rows_read, rows_loaded, "
                "rows_quarantined, inserted, updated, unchanged, report, started_at) VALUES "
                "('b1', 'citizen', 1, 'H33.02/hoso', 'db#dan_cu', 'sql', 'pull:x', 'completed', "
                "4, 10, 9, 1, 9, 0, 0, :report, CURRENT_TIMESTAMP)"
            ),
            {"report": json.dumps(report)},
        )


def _batch(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM ingest_batches WHERE id = 'b1'")).mappings().one()
    found = dict(row)
    if isinstance(found["report"], str):
        found["report"] = json.loads(found["report"])
    return found


def test_the_state_an_old_report_carried_moves_to_columns_and_back(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine, "0002_standards_ingest")
    _insert_old_batch(bare_engine, OLD_REPORT)
    migrate.upgrade(bare_engine)
    batch = _batch(bare_engine)
    assert {k: batch[k] for k in ("since", "watermark", "watermark_max", "error")} == {
        "since": "4", "watermark": "changed", "watermark_max": "9", "error": "interrupted"
    }  # fmt: skip
    assert bool(batch["started_on_empty_store"]) and batch["resumed_from_chunk"] == 3
    assert batch["report"] == {
        "file_findings": [],
        "finding_counts": {"missing-value:full_name": 1},
        "examples": [{"row": 2, "field": "full_name", "code": "missing-value"}],
        "seconds": 2.0,
        "rows_per_s": 10,
        "timings": {"waiting_for_validation": 0.5, "load": 1.25},
    }
    migrate.upgrade(bare_engine)  # idempotent
    command.downgrade(migrate.alembic_config(bare_engine), "0005_ingest_batch_state-1")
    assert _batch(bare_engine)["report"] == {**OLD_REPORT, "started_on_empty_store": True}


def test_0006_places_old_batches_rows_and_leaves_old_entries_without_identity(
    bare_engine: Engine,
) -> None:
    migrate.upgrade(bare_engine, "0005_ingest_batch_state")
    _insert_old_batch(bare_engine, {})  # a pull: its rows are positions
    with bare_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ingest_batches (id, standard, standard_version, source_system, "
                "source_name, format, checksum, status, chunks_done, rows_read, rows_loaded, "
                "rows_quarantined, inserted, updated, unchanged, report, started_at, "
                "started_on_empty_store, resumed_from_chunk) VALUES ('b2', 'citizen', 1, "
                "'H33.02/hoso', 'a.csv', 'csv', 'sha256:x', 'completed', 1, 2, 0, 2, 0, 0, 0, "
                "'{}', CURRENT_TIMESTAMP, false, 0)"
            )
        )
        for row in (1, 2):  # the same bad row twice, as before entries had an identity
            conn.execute(
                text(
                    'INSERT INTO ingest_quarantine (batch_id, row, status, "values", findings, '
                    "created_at) VALUES ('b2', :row, 'open', '{}', '[]', CURRENT_TIMESTAMP)"
                ),
                {"row": row},
            )
    migrate.upgrade(bare_engine)
    with bare_engine.connect() as conn:
        offsets = dict(conn.execute(text("SELECT id, sheet_row_offset FROM ingest_batches")).all())
        prints = conn.execute(text("SELECT fingerprint FROM ingest_quarantine")).scalars().all()
    assert offsets == {"b1": 0, "b2": 1}  # a CSV's data row 1 is sheet row 2
    assert prints == [None, None]
    command.downgrade(migrate.alembic_config(bare_engine), "0006_ingest_quarantine_identity-1")
    with bare_engine.connect() as conn:
        columns = list(conn.execute(text("SELECT * FROM ingest_quarantine")).keys())
    assert "fingerprint" not in columns and "row" in columns
