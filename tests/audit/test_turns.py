"""Turns at SQLite's write lock: a bulk job starts its next transaction only after the audit
writers waiting for theirs; where the database queues writers itself there is nothing to wait
for."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from lienthong.audit.turns import AuditTurns, TurnTimeout, bulk_turn
from lienthong.backends import backend_for


def _locks_files(engine: Engine) -> bool:
    return backend_for(engine).writers_lock_file(engine, "audit") is not None


def test_waiting_audit_writer_goes_before_the_next_bulk_transaction(engine: Engine) -> None:
    turns = AuditTurns(engine)
    order: list[str] = []
    held = threading.Event()

    def bulk_job() -> None:
        for n in range(2):
            with bulk_turn(engine):
                order.append(f"bulk {n}")
                held.set()
                time.sleep(0.3)  # a chunk's transaction; the audit writer arrives meanwhile

    def audit_writer() -> None:
        held.wait(5)
        with turns.turn():
            order.append("audit")

    threads = [threading.Thread(target=bulk_job), threading.Thread(target=audit_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    turns.close()
    # On SQLite the bulk job, looping straight into its next transaction, would otherwise win
    # the turn again; on PostgreSQL the audit writer does not wait at all.
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
                assert time.monotonic() - started < 0.2
        with turns.turn():  # once the bulk transaction is over, the turn comes at once
            pass
    finally:
        turns.close()
