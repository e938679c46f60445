"""A rewrite that deletes the checkpoints after it is caught: the checkpoint policy is signed."""

from __future__ import annotations

import base64
import re
import threading
from pathlib import Path

from sqlalchemy import Engine, text

from lienthong.audit import chain
from lienthong.audit.service import audit_keys
from lienthong.audit.verify import PROBLEMS, VerifyReport, verify
from lienthong.config import Settings
from tests.audit.factories import append_reads, checkpoint_rows, drop_checkpoints, rewrite_entry


def check(engine: Engine, settings: Settings) -> VerifyReport:
    with engine.connect() as conn:
        return verify(conn, audit_keys(settings).signing_key.public_key())


def test_rewrite_with_the_later_checkpoints_deleted_is_caught(
    engine: Engine, settings: Settings
) -> None:
    append_reads(engine, settings, 30, every=5)
    assert check(engine, settings).ok
    rewrite_entry(engine, 8, '"count":7', '"count":70')
    drop_checkpoints(engine, from_seq=8)
    report = check(engine, settings)
    assert not report.ok
    assert report.problems[0].code == "checkpoint-missing"
    assert report.first_broken is not None and report.first_broken <= 11


def test_a_checkpoint_deleted_in_the_middle_is_named(engine: Engine, settings: Settings) -> None:
    append_reads(engine, settings, 30, every=5)
    seqs = [int(r["seq"]) for r in checkpoint_rows(engine)]
    middle = seqs[len(seqs) // 2]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM audit_checkpoints WHERE seq = {middle}")
    report = check(engine, settings)
    assert not report.ok
    assert [(p.code, p.seq) for p in report.problems] == [("checkpoint-missing", middle)]


def test_checkpoint_times_never_go_back(engine: Engine, settings: Settings) -> None:
    append_reads(engine, settings, 12, every=5)
    key = audit_keys(settings).signing_key
    row = checkpoint_rows(engine)[-1] | {"at": "2000-01-01T00:00:00+00:00"}
    signature = base64.b64encode(key.sign(chain.statement(row))).decode()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_checkpoints SET at = :a, signature = :s WHERE seq = :q"),
            {"a": row["at"], "s": signature, "q": row["seq"]},
        )
    report = check(engine, settings)
    assert [(p.code, p.seq) for p in report.problems] == [("checkpoint-time-regressed", row["seq"])]


def test_a_log_with_no_checkpoint_left_is_held_to_the_configured_policy(
    engine: Engine, settings: Settings
) -> None:
    append_reads(engine, settings, 12, every=5)
    drop_checkpoints(engine, from_seq=1)
    with engine.connect() as conn:
        report = verify(conn, audit_keys(settings).signing_key.public_key(), every=5)
    assert [(p.code, p.seq) for p in report.problems] == [("checkpoint-missing", 5)]


def test_verify_during_appends_sees_no_false_problem(engine: Engine, settings: Settings) -> None:
    """Entries committed while verify reads are beyond the head it read first."""
    append_reads(engine, settings, 10_000, every=5, batch=5_000)  # a scan that takes a while
    stop = threading.Event()

    def keep_appending() -> None:
        while not stop.is_set():
            append_reads(engine, settings, 3, every=5, batch=1)

    writer = threading.Thread(target=keep_appending)
    writer.start()
    try:
        reports = [check(engine, settings) for _ in range(5)]
    finally:
        stop.set()
        writer.join()
    assert all(r.ok for r in reports), [r.problems for r in reports if not r.ok][:1]
    assert reports[-1].entries > reports[0].entries


def test_every_problem_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", doc, re.M))
    assert documented == set(PROBLEMS)


def test_checkpoints_signed_before_the_policy_was_stated_still_verify(
    engine: Engine, settings: Settings
) -> None:
    """A log begun before the upgrade: its old checkpoints sign only at, hash and seq."""
    append_reads(engine, settings, 12, every=5)
    key = audit_keys(settings).signing_key
    with engine.begin() as conn:
        for row in checkpoint_rows(engine)[:2]:  # entries 1 and 6, as the old writer signed
            old = {"at": row["at"], "hash": row["hash"], "seq": row["seq"]}
            conn.execute(
                text(
                    "UPDATE audit_checkpoints SET prev = NULL, every = NULL, seconds = NULL, "
                    "signature = :s WHERE seq = :q"
                ),
                {"s": base64.b64encode(key.sign(chain.statement(old))).decode(), "q": row["seq"]},
            )
    report = check(engine, settings)
    assert report.ok, report.problems
    assert report.checkpoints == 3
