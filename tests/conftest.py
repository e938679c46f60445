"""Real engines for every test: SQLite in a temp dir, and PostgreSQL when
LIENTHONG_TEST_DATABASE_URL is set (each session in its own schema, dropped afterwards).

``--backend sqlite|postgresql`` restricts the run to one engine; ``--engine-tests-only`` leaves
out the tests that use no database (CI's PostgreSQL pass: they ran in its SQLite pass).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, create_engine, text

from lienthong.audit.publish import published_path
from lienthong.config import Settings
from lienthong.db import Base, make_engine
from lienthong.prepare import prepare_database, seed_reference_data
from lienthong.web.app import create_app

OPERATOR_TOKEN = "test-operator-token-0123456789abcdef"
PG_URL = os.environ.get("LIENTHONG_TEST_DATABASE_URL")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgresql"],
        default=None,
        help="run against one engine only",
    )
    parser.addoption(
        "--engine-tests-only",
        action="store_true",
        default=False,
        help="run only the tests that use a database engine (the others do not depend on it: "
        "CI runs them once, in the SQLite pass)",
    )


def _backends(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--backend")
    available = ["sqlite"] + (["postgresql"] if PG_URL else [])
    if chosen == "postgresql" and not PG_URL:
        raise pytest.UsageError("--backend postgresql needs LIENTHONG_TEST_DATABASE_URL")
    return [chosen] if chosen else available


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends(metafunc.config), scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--engine-tests-only"):
        return
    engineless = [i for i in items if "backend" not in getattr(i, "fixturenames", ())]
    if engineless:
        config.hook.pytest_deselected(items=engineless)
        items[:] = [i for i in items if "backend" in getattr(i, "fixturenames", ())]


@contextmanager
def new_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file in ``folder``, or a PostgreSQL schema of its
    own (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite+pysqlite:///{folder / 'lienthong.db'}"
        return
    assert PG_URL
    schema = f"lt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with new_database(backend, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=database_url,
        operator_token=OPERATOR_TOKEN,
        auto_upgrade=False,
    )


@pytest.fixture(scope="session")
def prepared_engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    prepare_database(engine)
    yield engine
    engine.dispose()


def reset_database(engine: Engine) -> None:
    """Empty every table but the reference data, drop tables made at run time, re-seed."""
    keep = {"alembic_version"} | {
        t.name for t in Base.metadata.tables.values() if t.info.get("reference")
    }
    actual = MetaData()
    actual.reflect(engine)
    with engine.begin() as conn:
        for table in reversed(actual.sorted_tables):
            if table.name in keep:
                continue
            if table.name in Base.metadata.tables:
                conn.execute(table.delete())
            else:
                table.drop(conn)
    seed_reference_data(engine)


@pytest.fixture
def engine(prepared_engine: Engine, settings: Settings) -> Iterator[Engine]:
    yield prepared_engine
    reset_database(prepared_engine)
    # The published checkpoints belong to the log just emptied.
    published_path(settings).unlink(missing_ok=True)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine)) as test_client:
        yield test_client


@pytest.fixture
def operator() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
