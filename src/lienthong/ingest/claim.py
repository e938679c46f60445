"""One run per input at a time: a claim held while a batch runs.

Two identical uploads at the same moment (a double click) would otherwise resume the same
batch side by side. The claim belongs to one database (on PostgreSQL, to one schema: a platform
of its own) and is an advisory lock that dies with its holder, so a run killed with ``kill -9``
never leaves a stale claim behind: a PostgreSQL session advisory lock on a connection held for
the run, and for SQLite an exclusive ``flock`` on a file beside the database (every process and
thread opens its own descriptor, so both are excluded).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from lienthong.errors import Conflict

try:  # POSIX; elsewhere the claim covers the threads of one process only
    import fcntl
except ImportError:  # pragma: no cover - not on the reference platform
    fcntl = None  # type: ignore[assignment]

_LOCAL: set[str] = set()
_LOCAL_GUARD = threading.Lock()


class BatchInProgress(Conflict):
    code = "batch-in-progress"


@contextmanager
def claim(engine: Engine, key: str) -> Iterator[None]:
    """Hold the claim on ``key`` (e.g. checksum, standard and system) in this engine's database
    (on PostgreSQL: its schema, which is a platform of its own) or raise ``batch-in-progress``
    (409) when another run holds it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            conn.commit()
            digest = _digest(f"{engine.url.database}|{schema}|{key}")
            with (
                _local(digest.hex()),
                _postgres(conn, int.from_bytes(digest[:8], "big", signed=True)),
            ):
                yield
    else:
        digest = _digest(f"{engine.url.database}|{key}")
        with _local(digest.hex()), _file(engine, digest.hex()):
            yield


def _digest(scoped_key: str) -> bytes:
    return hashlib.sha256(scoped_key.encode("utf-8")).digest()


def _busy() -> BatchInProgress:
    return BatchInProgress(
        "the same input is being loaded into the same standard by the same system right now; "
        "wait for that batch to finish"
    )


@contextmanager
def _local(name: str) -> Iterator[None]:
    with _LOCAL_GUARD:
        if name in _LOCAL:
            raise _busy()
        _LOCAL.add(name)
    try:
        yield
    finally:
        with _LOCAL_GUARD:
            _LOCAL.discard(name)


@contextmanager
def _postgres(conn: Connection, number: int) -> Iterator[None]:
    got = conn.execute(text("SELECT pg_try_advisory_lock(:n)"), {"n": number}).scalar()
    conn.commit()
    if not got:
        raise _busy()
    try:
        yield
    finally:
        conn.execute(text("SELECT pg_advisory_unlock(:n)"), {"n": number})
        conn.commit()


@contextmanager
def _file(engine: Engine, name: str) -> Iterator[None]:
    database = engine.url.database
    if fcntl is None or not database or database == ":memory:":
        yield
        return
    folder = Path(f"{database}.claims")
    folder.mkdir(exist_ok=True)
    with (folder / name).open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise _busy() from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
