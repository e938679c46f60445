"""Turns at SQLite's write lock: a bulk job starts its next transaction only after the audit
writers waiting for theirs; where the database queues writers itself there is nothing to wait
for."""

from __future__ import annotations

import gc
import json
import threading
import time

import pytest
from sqlalchemy import Engine, text

from lienthong.audit.service import audit_keys
from lienthong.audit.turns import AuditTurns, TurnTimeout, audit_waiting, bulk_turn
from lienthong.audit.writer import AuditWriter
from lienthong.backends import backend_for
from lienthong.config import Settings
from tests.audit.factories import read_entry


def _locks_files(engine: Engine) -> bool:
    return backend_for(engine).writers_lock_file(engine, "audit") is not None


def _audit_writer_waits(engine: Engine, order: list[str]) -> bool:
    """Whether an audit writer says it waits (holds the waiting lock); on PostgreSQL, which
    has no turns, whether it is through."""
    if not _locks_files(engine):
        return "audit" in order
    return audit_waiting(engine)


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


def test_entries_queued_while_the_writer_waits_join_its_commit(
    settings: Settings, engine: Engine
) -> None:
    # An entry left for the next batch would wait for the bulk job's next transaction too:
    # two transactions' wait for one read.
    writer = AuditWriter(engine, audit_keys(settings))
    writer.start()
    try:
        writer.submit(read_entry(0)).result(30)  # the writer's first batch, before the bulk job
        before = writer.batches
        with bulk_turn(engine):
            first = writer.submit(read_entry(1))
            deadline = time.monotonic() + 10
            while _locks_files(engine) and not _audit_writer_waits(engine, []):
                assert time.monotonic() < deadline, "the audit writer never waited for its turn"
                time.sleep(0.01)
            later = [writer.submit(read_entry(n)) for n in range(2, 5)]
        seqs = [first.result(30)] + [f.result(30) for f in later]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4
        if _locks_files(engine):
            assert writer.batches == before + 1  # one commit for the four
    finally:
        writer.stop()
    with engine.connect() as conn:
        bodies = conn.scalars(text("SELECT body FROM audit_entries ORDER BY seq")).all()
    assert [json.loads(b)["count"] for b in bodies if '"data.read"' in b] == list(range(5))


def test_no_collection_runs_while_a_bulk_job_holds_the_turn(engine: Engine) -> None:
    assert gc.isenabled()
    with bulk_turn(engine):
        assert gc.isenabled() is not _locks_files(engine)
    assert gc.isenabled()


def test_a_bulk_job_hears_when_an_audit_writer_waits(engine: Engine) -> None:
    turns = AuditTurns(engine)
    try:
        assert not audit_waiting(engine)
        with bulk_turn(engine):
            writer = threading.Thread(target=lambda: turns.turn().__enter__())
            writer.start()  # waits for the turn, which the bulk job holds
            deadline = time.monotonic() + 10
            while _locks_files(engine) and not audit_waiting(engine):
                assert time.monotonic() < deadline, "the waiting audit writer was not heard"
                time.sleep(0.01)
            if not _locks_files(engine):
                assert not audit_waiting(engine)  # PostgreSQL queues writers itself
        writer.join(10)
        assert not audit_waiting(engine)  # it has its turn: nobody waits any more
    finally:
        turns.close()
