"""Fair turns at an embedded database's one write lock: audit writers before bulk writers.

A read is answered only once its audit entry is committed, and on SQLite that commit needs the
database's one write lock. SQLite's busy handler is not fair: a waiting writer polls with
growing sleeps, so a bulk job (an ingest) that opens its next transaction as soon as it
commits the last wins again and again, and reads stalled for seconds while a file loaded.
Two OS file locks beside the database (``Backend.writers_lock_file``) make the turns explicit:

- ``<database>-audit.lock``: the turn itself. An audit writer holds it for one group commit, a
  bulk job for one of its transactions; whoever waits for it sleeps in the kernel, not in
  SQLite's busy handler.
- ``<database>-audit-waiting.lock``: an audit writer holds it shared while it waits for its
  turn; a bulk job takes it exclusively, and lets go at once, before each of its
  transactions. So a bulk job starts a transaction only after every audit writer that was
  waiting has had its turn, and a read waits at most for one bulk transaction.

They work across processes (a command-line ingest beside the server) and within one (an
upload ingested by the server): each holder opens its own descriptor. Where the database
queues writers itself (PostgreSQL), there are no files and the turns are no-ops.
"""

from __future__ import annotations

import fcntl
import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from lienthong.backends import backend_for

TURN, WAITING = "audit", "audit-waiting"
AUDIT_WAIT_SECONDS = 30.0  # as SQLite's busy timeout: past it the audit write fails (503)
_POLL_MIN, _POLL_MAX = 0.0002, 0.002


class TurnTimeout(Exception):
    """No turn came within the wait allowed."""


def _open(path: Path) -> IO[str]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "a")


class AuditTurns:
    """An audit writer's side: its own descriptors, kept open for the writer's life."""

    def __init__(self, engine: Engine, *, wait_seconds: float = AUDIT_WAIT_SECONDS) -> None:
        backend = backend_for(engine)
        self._turn_path = backend.writers_lock_file(engine, TURN)
        self._waiting_path = backend.writers_lock_file(engine, WAITING)
        self._turn: IO[str] | None = None
        self._waiting: IO[str] | None = None
        self.wait_seconds = wait_seconds

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turn for one commit; ``TurnTimeout`` after ``wait_seconds`` without it."""
        if self._turn_path is None or self._waiting_path is None:
            yield
            return
        if self._turn is None or self._waiting is None:
            self._turn, self._waiting = _open(self._turn_path), _open(self._waiting_path)
        fcntl.flock(self._waiting, fcntl.LOCK_SH)  # bulk writers hold back while this waits
        try:
            self._take(self._turn)
        finally:
            fcntl.flock(self._waiting, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self._turn, fcntl.LOCK_UN)

    def _take(self, handle: IO[str]) -> None:
        # Polled, not blocking: a blocked flock cannot be given up after a time, and a bulk
        # transaction may be long. The poll is short, so the turn is taken within 2 ms of its
        # release.
        deadline = time.monotonic() + self.wait_seconds
        pause = _POLL_MIN
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TurnTimeout(f"no audit turn within {self.wait_seconds:g} s") from None
                time.sleep(pause)
                pause = min(pause * 2, _POLL_MAX)

    def close(self) -> None:
        for handle in (self._turn, self._waiting):
            if handle is not None:
                handle.close()
        self._turn = self._waiting = None


def audit_waiting(engine: Engine) -> bool:
    """Whether an audit writer waits for its turn now; never where there are no turns. A bulk
    job asks between the parts of its transaction, and ends the transaction when one does."""
    waiting_path = backend_for(engine).writers_lock_file(engine, WAITING)
    if waiting_path is None:
        return False
    with _open(waiting_path) as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
        return False


@contextmanager
def _collection_after(turn: IO[str]) -> Iterator[None]:
    # Holds the turn; the garbage collector waits until it is given back. A full collection in
    # a process holding a file's rows costs 50–200 ms of CPU, and inside the turn every
    # waiting read would wait for it too. Enabled again only once the turn is released: the
    # next allocation may start the collection at once.
    enabled = gc.isenabled()
    gc.disable()
    try:
        fcntl.flock(turn, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)
    finally:
        if enabled:
            gc.enable()


@contextmanager
def bulk_turn(engine: Engine) -> Iterator[None]:
    """Hold the turn for one transaction of a bulk job, after the audit writers waiting now;
    no garbage collection runs while it is held."""
    backend = backend_for(engine)
    turn_path = backend.writers_lock_file(engine, TURN)
    waiting_path = backend.writers_lock_file(engine, WAITING)
    if turn_path is None or waiting_path is None:
        yield
        return
    with _open(waiting_path) as waiting, _open(turn_path) as turn:
        fcntl.flock(waiting, fcntl.LOCK_EX)  # every audit writer waiting now has its turn
        fcntl.flock(waiting, fcntl.LOCK_UN)
        with _collection_after(turn):
            yield
