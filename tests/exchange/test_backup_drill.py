"""The backup and restore drill (docs/operations.md, "Backup and restore"), as a test.

A populated instance — registry, a consumer with an approved grant, records in the store, an
audited read — is backed up the way the operations page says (PostgreSQL: ``pg_dump -Fc`` then
``pg_restore`` into a fresh database; SQLite: the online backup API), and the copy must agree
with the original: ``lienthong audit verify`` passes on it (the chain, the signed checkpoints and
the published checkpoint file), every table has the same rows, and a grant-checked read through
the API answers the same record — after which the copy's chain goes on from where it was.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, create_engine, func, select, text
from sqlalchemy.engine import make_url

from lienthong.config import Settings
from lienthong.db import make_engine
from lienthong.web.app import create_app
from tests.cli import run_cli
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


def _counts(engine: Engine) -> dict[str, int]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in sorted(tables.tables.items())
        }


def _schema_of(url: str) -> str:
    """The schema a test database lives in (the fixture sets ``search_path`` in its URL)."""
    options = parse_qs(urlsplit(url).query).get("options", [""])[0]
    return unquote(options).removeprefix("-csearch_path=")


@contextmanager
def _restored_postgresql(settings: Settings, folder: Path) -> Iterator[str]:
    """Dump the test's schema with pg_dump, restore it into a new database with pg_restore."""
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("the drill needs pg_dump and pg_restore (Debian: postgresql-client)")
    url = make_url(settings.resolved_database_url)
    schema = _schema_of(settings.resolved_database_url)
    connect = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    connect += ["-U", url.username or "postgres"]
    dump = folder / "lienthong.dump"
    subprocess.run(
        ["pg_dump", *connect, "-d", str(url.database), "-n", schema, "-Fc", "-f", str(dump)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh = f"lt_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        subprocess.run(
            ["pg_restore", *connect, "-d", fresh, "--exit-on-error", str(dump)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        restored = url.set(database=fresh)
        yield restored.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": fresh},
            )
            conn.execute(text(f'DROP DATABASE "{fresh}"'))
        admin.dispose()


@contextmanager
def _restored_sqlite(settings: Settings, folder: Path) -> Iterator[str]:
    """Copy the live database file with SQLite's online backup API (safe while it is in use)."""
    source_path = make_url(settings.resolved_database_url).database
    assert source_path
    copy = folder / "restored.db"
    with sqlite3.connect(source_path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    target.close()
    yield f"sqlite+pysqlite:///{copy}"


def test_a_restored_backup_agrees_with_the_original(
    backend: str,
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    citizens: list[str],
    tmp_path: Path,
) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    token = get_token(client, consumer)
    grant = request_grant(client, token, fields=["personal_id", "full_name"], units=["33"])
    approve(client, operator, grant["id"])
    url = f"/api/v1/data/citizen/{citizens[0]}"
    original = client.get(url, headers=token | PURPOSE)
    assert original.status_code == 200, original.text
    before = _counts(engine)
    assert before["audit_entries"] > 0 and before["exchange_grants"] == 1

    restore = _restored_postgresql if backend == "postgresql" else _restored_sqlite
    with restore(settings, tmp_path) as restored_url:
        # The keys and the published checkpoint file are backed up with the dump (the original
        # instance goes on signing checkpoints of its own into its folder).
        keys = shutil.copytree(settings.data_dir, tmp_path / "restored-data")
        restored_settings = settings.model_copy(
            update={"database_url": restored_url, "data_dir": keys}
        )
        verified = run_cli(restored_settings, "audit", "verify", "--json")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        report = json.loads(verified.stdout)
        assert report["ok"] and report["entries"] == before["audit_entries"]
        assert report["known_checkpoints"] >= 1  # held to the published file, kept apart

        copy = make_engine(restored_settings)
        try:
            assert _counts(copy) == before
            with TestClient(create_app(restored_settings, engine=copy)) as restored_client:
                again = restored_client.get(
                    url, headers=get_token(restored_client, consumer) | PURPOSE
                )
            assert again.status_code == 200, again.text
            assert again.json() == original.json()
            after = _counts(copy)
            assert after["audit_entries"] > before["audit_entries"]  # the chain went on
        finally:
            copy.dispose()
        extended = run_cli(restored_settings, "audit", "verify", "--json")
        assert extended.returncode == 0, extended.stdout + extended.stderr
        assert json.loads(extended.stdout)["entries"] == after["audit_entries"]
