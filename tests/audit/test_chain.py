"""Hash chain and checkpoints: verify passes on an honest log, names the place of any tamper."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from lienthong.audit import chain
from lienthong.audit.service import audit_keys
from lienthong.audit.verify import VerifyReport, verify
from lienthong.config import Settings
from tests.audit.factories import append_reads


@pytest.fixture
def log(engine: Engine, settings: Settings) -> Iterator[Engine]:
    """Twelve entries in batches of three, a checkpoint every five (at 1, 6 and 11)."""
    append_reads(engine, settings, 12, every=5)
    yield engine


def check(engine: Engine, settings: Settings) -> VerifyReport:
    with engine.connect() as conn:
        return verify(conn, audit_keys(settings).signing_key.public_key())


def test_honest_log_verifies(log: Engine, settings: Settings) -> None:
    report = check(log, settings)
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (12, 3)


def test_checkpoints_follow_the_interval(log: Engine) -> None:
    with log.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM audit_checkpoints ORDER BY seq"))]
    # The first entry signs the policy; then exactly every five, within a batch of three too.
    assert seqs == [1, 6, 11]


def _body(engine: Engine, seq: int) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT body FROM audit_entries WHERE seq = :s"), {"s": seq}
        ).scalar_one()


def _exec(engine: Engine, sql: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def test_altered_entry_is_named(log: Engine, settings: Settings) -> None:
    body = _body(log, 7).replace('"count":6', '"count":60')
    _exec(log, "UPDATE audit_entries SET body = :b WHERE seq = 7", b=body)
    report = check(log, settings)
    assert not report.ok and report.first_broken == 7
    assert report.problems[0].code == "hash-mismatch"


def test_altered_entry_with_recomputed_hashes_is_caught_by_the_checkpoint(
    log: Engine, settings: Settings
) -> None:
    body = _body(log, 8).replace('"count":7', '"count":70')
    _exec(log, "UPDATE audit_entries SET body = :b WHERE seq = 8", b=body)
    previous = chain.GENESIS
    with log.begin() as conn:
        rows = conn.execute(text("SELECT seq, body FROM audit_entries ORDER BY seq")).all()
        for seq, b in rows:
            previous = chain.chain_hash(previous, b)
            conn.execute(
                text("UPDATE audit_entries SET hash = :h WHERE seq = :s"), {"h": previous, "s": seq}
            )
    report = check(log, settings)
    assert not report.ok
    assert report.problems[0].code == "checkpoint-mismatch" and report.first_broken == 11


def test_deleted_entry_is_named(log: Engine, settings: Settings) -> None:
    _exec(log, "DELETE FROM audit_entries WHERE seq = 4")
    report = check(log, settings)
    assert report.first_broken == 4 and report.problems[0].code == "entry-missing"


def test_deleted_last_entry_is_caught(log: Engine, settings: Settings) -> None:
    _exec(log, "DELETE FROM audit_entries WHERE seq = 12")
    report = check(log, settings)
    assert not report.ok and report.first_broken == 12


def test_inserted_entry_is_named(log: Engine, settings: Settings) -> None:
    _exec(log, "UPDATE audit_entries SET seq = seq + 100 WHERE seq >= 5")
    _exec(log, "UPDATE audit_entries SET seq = seq - 99 WHERE seq >= 105")
    fake = json.dumps({"action": "data.read", "seq": 5}, separators=(",", ":"))
    _exec(
        log,
        "INSERT INTO audit_entries (seq, body, hash) VALUES (5, :b, :h)",
        b=fake,
        h=chain.chain_hash("0" * 64, fake),
    )
    report = check(log, settings)
    assert not report.ok and report.first_broken == 5


def test_reordered_entries_are_named(log: Engine, settings: Settings) -> None:
    a, b = _body(log, 3), _body(log, 4)
    _exec(log, "UPDATE audit_entries SET seq = 1000 WHERE seq = 3")
    _exec(log, "UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    _exec(log, "UPDATE audit_entries SET seq = 4 WHERE seq = 1000")
    assert _body(log, 3) == b and _body(log, 4) == a
    report = check(log, settings)
    assert not report.ok and report.first_broken == 3


def test_forged_checkpoint_is_named(log: Engine, settings: Settings) -> None:
    with log.connect() as conn:
        real = conn.execute(text("SELECT hash FROM audit_entries WHERE seq = 9")).scalar_one()
    _exec(
        log,
        "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) "
        "VALUES (9, :h, '2025-01-01T00:00:00+00:00', 'x', :s)",
        h=real,
        s="AAAA" * 22,
    )
    report = check(log, settings)
    assert not report.ok and report.first_broken == 9
    assert report.problems[0].code == "bad-checkpoint-signature"
