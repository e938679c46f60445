"""Database backends: chosen once per engine, the only place that knows an engine's ways."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

import lienthong.backends
from lienthong.backends import BACKENDS, backend_for, backend_for_url, key_text
from lienthong.config import Settings
from lienthong.db import make_engine, should_auto_upgrade
from lienthong.errors import ConfigurationError

PACKAGE = Path(lienthong.backends.__file__).parent
BELOW = {"lienthong.config", "lienthong.errors"}


def test_an_engine_gets_the_backend_of_its_dialect(engine: Engine) -> None:
    backend = backend_for(engine)
    assert backend.name == engine.dialect.name
    assert backend_for_url(engine.url.render_as_string(hide_password=False)) is backend
    with engine.connect() as conn:
        assert backend_for(conn) is backend


def test_an_engine_without_a_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_engine(Settings(environment="test", data_dir=tmp_path), url="mysql+pymysql://u@h/db")
    assert caught.value.code == "configuration-error"
    assert "'mysql'" in str(caught.value) and "postgresql, sqlite" in str(caught.value)


def test_only_the_embedded_database_migrates_itself_unless_told(tmp_path: Path) -> None:
    server = "postgresql+psycopg://u@h/db"
    assert should_auto_upgrade(Settings(environment="test", data_dir=tmp_path))
    assert not should_auto_upgrade(Settings(environment="test", database_url=server))
    assert should_auto_upgrade(Settings(environment="test", database_url=server, auto_upgrade=True))
    assert not should_auto_upgrade(
        Settings(environment="test", data_dir=tmp_path, auto_upgrade=False)
    )


def test_text_keys_compare_bytes_on_every_engine() -> None:
    table = Table("t", MetaData(), Column("code", key_text(), primary_key=True))
    assert 'code TEXT COLLATE "C"' in str(CreateTable(table).compile(dialect=postgresql.dialect()))
    # SQLite's default collation (BINARY) compares bytes already.
    assert "code TEXT NOT NULL" in str(CreateTable(table).compile(dialect=sqlite.dialect()))


def test_the_backends_import_nothing_from_the_domains() -> None:
    """The backends sit below every domain: they may know settings and errors, nothing else."""
    imported: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module}
            elif isinstance(node, ast.Import):
                names = {alias.name for alias in node.names}
            else:
                continue
            imported.setdefault(path.name, set()).update(
                n for n in names if n.startswith("lienthong") and n.split(".")[1:2] != ["backends"]
            )
    assert set(imported) >= {"__init__.py", "base.py", "sqlite.py", "postgresql.py"}
    assert {name: names - BELOW for name, names in imported.items()} == {
        name: set() for name in imported
    }
    assert set(BACKENDS) == {"sqlite", "postgresql"}
