"""Grants made before versions were pinned read the version current when they were requested."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from lienthong import migrate
from tests.conftest import new_database

STANDARDS = [("citizen", 1, datetime(2025, 1, 1)), ("citizen", 2, datetime(2025, 6, 1))]
GRANTS = [  # dataset, requested at, the version it reads after the migration
    ("citizen", datetime(2024, 12, 1), 1),  # before any version: the first one
    ("citizen", datetime(2025, 3, 1), 1),
    ("citizen", datetime(2025, 7, 1), 2),
    ("business", datetime(2025, 7, 1), 1),  # a standard not in this database
]


@pytest.fixture
def bare_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    with new_database(backend, tmp_path) as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


def _old_rows(engine: Engine) -> None:
    now = datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (id, code, name, level, active, created_at, updated_at)"
                " VALUES (1, 'H33.05', 'Cổng', 'province', :yes, :now, :now)"
            ),
            {"yes": True, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO systems (id, organisation_id, code, name, status, created_at, "
                "updated_at) VALUES (1, 1, 'portal', 'Cổng', 'active', :now, :now)"
            ),
            {"now": now},
        )
        for name, version, published in STANDARDS:
            conn.execute(
                text(
                    "INSERT INTO standards (name, version, status, title, document, created_at, "
                    "published_at) VALUES (:n, :v, 'published', :n, '{}', :p, :p)"
                ),
                {"n": name, "v": version, "p": published},
            )
        for n, (dataset, requested, _) in enumerate(GRANTS, start=1):
            conn.execute(
                text(
                    "INSERT INTO exchange_grants (id, system_id, dataset, fields, units, "
                    "communes, purposes, expires_on, status, requested_at) VALUES (:id, 1, :d, "
                    "'[]', '[]', '[]', '[]', '2030-01-01', 'approved', :r)"
                ),
                {"id": n, "d": dataset, "r": requested},
            )


def test_old_grants_read_the_version_current_when_requested(bare_engine: Engine) -> None:
    migrate.upgrade(bare_engine, "0005_ingest_batch_state")
    migrate.upgrade(bare_engine, "0003_exchange_audit")
    _old_rows(bare_engine)
    migrate.upgrade(bare_engine)
    with bare_engine.connect() as conn:
        found = conn.execute(text("SELECT version FROM exchange_grants ORDER BY id")).all()
        assert [v for (v,) in found] == [expected for *_, expected in GRANTS]
        standard = conn.execute(text("SELECT retire_on, breaking_reason FROM standards")).first()
        assert standard is not None and tuple(standard) == (None, None)
    assert migrate.pending(bare_engine) == set()
    command.downgrade(migrate.alembic_config(bare_engine), "0007_standard_versions-1")
    with bare_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM exchange_grants")).scalar() == len(GRANTS)
