"""Turns at SQLite's write lock: a bulk job starts its next transaction only after the audit
writers waiting for theirs; where the database queues writers itself there is nothing to wait
for."""

from __future__ import annotations

import fcntl
import threading
import time

import pytest
from sqlalchemy import Engine

from lienthong.audit.turns import WAITING, AuditTurns, TurnTimeout, bulk_turn
from lienthong.backends import backend_for


def _locks_files(engine: Engine) -> bool:
    return backend_for(engine).writers_lock_file(engine, "audit") is not None


def _audit_writer_waits(engine: Engine, order: list[str]) -> bool:
    """Whether an audit writer says it waits (holds the waiting lock); on PostgreSQL, which
    has no turns, whether it is through."""
    waiting = backend_for(engine).writers_lock_file(engine, WAITING)
    if waiting is None:
        return "audit" in order
    with waiting.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_waiting_audit_writer_goes_before_the_next_bulk_transaction(engine: Engine) -> None:
    turns = AuditTurns(engine)
    order: list[str] = []
    held = threading.Event()

    def bulk_job() -> None:
        for n in range(2):
            with bulk_turn(engine):
                order.append(f"bulk {n}")
                held.set()
                deadline = time.monotonic() + 10  # a chunk's transaction, until the writer waits
                while n == 0 and not _audit_writer_waits(engine, order):
                    assert time.monotonic() < deadline, "the audit writer never came"
                    time.sleep(0.01)

    def audit_writer() -> None:
        held.wait(10)
        with turns.turn():
            order.append("audit")

    threads = [threading.Thread(target=bulk_job), threading.Thread(target=audit_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    turns.close()
    # On SQLite the bulk job, looping straight into its next transaction, would otherwise win
    # the turn again (it did before the waiting lock); on PostgreSQL nobody waits for a turn.
    assert order == ["bulk 0", "audit", "bulk 1"]


def test_audit_writer_gives_up_after_its_wait(engine: Engine) -> None:
    turns = AuditTurns(engine, wait_seconds=0.2)
    try:
        with bulk_turn(engine):
            started = time.monotonic()
            if _locks_files(engine):
                with pytest.raises(TurnTimeout), turns.turn():
                    pass
                assert 0.2 <= time.monotonic() - started < 2
            else:
                with turns.turn():
                    pass
                assert time.monotonic() - started < 2  # no turns there, so no wait
        with turns.turn():  # once the bulk transaction is over, the turn comes at once
            pass
    finally:
        turns.close()
