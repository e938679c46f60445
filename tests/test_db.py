"""The embedded database: files readable by the owner only, commits that survive power loss."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from lienthong.config import Settings
from lienthong.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a typical umask: files would be world-readable
    try:
        settings = Settings(environment="test", data_dir=tmp_path / "data")
        engine = make_engine(settings)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            database = Path(settings.resolved_database_url.split("///", 1)[1])
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        engine.dispose()
    finally:
        os.umask(old)


def test_an_existing_database_file_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)
    engine = make_engine(Settings(environment="test"), url=f"sqlite+pysqlite:///{database}")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert _mode(database) == 0o600


def test_sqlite_commits_are_synced_to_disk(tmp_path: Path) -> None:
    """WAL with synchronous=FULL: a commit is on disk (fsync) before it returns."""
    engine = make_engine(Settings(environment="test", data_dir=tmp_path))
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_the_faster_mode_is_a_setting(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path, sqlite_synchronous="normal")
    engine = make_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()
