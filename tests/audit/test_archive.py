"""Archiving old stretches of the audit log keeps the chain verifiable; PostgreSQL's monthly
partitions are made ahead, catch stray months, and are dropped once an archive empties them."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from lienthong import migrate
from lienthong.audit import partitions
from lienthong.audit.archive import archive
from lienthong.audit.service import audit_keys, cli_actor
from lienthong.audit.verify import verify
from lienthong.config import Settings
from tests.audit.factories import append_reads, checkpoint_rows
from tests.cli import run_cli
from tests.conftest import new_database

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def _verify(engine: Engine, settings: Settings, folder: Path | None = None) -> dict[str, object]:
    with engine.connect() as conn:
        report = verify(conn, audit_keys(settings).signing_key.public_key(), archive_dir=folder)
    return report.as_dict()


def test_an_archived_stretch_leaves_a_chain_that_verifies(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    append_reads(engine, settings, 32, every=5)
    end = max(int(row["seq"]) for row in checkpoint_rows(engine))  # the last signed entry
    assert 25 < end < 32
    folder = tmp_path / "archive"
    done = run_cli(settings, "audit", "archive", "--before", TOMORROW, "--to", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    [file] = folder.iterdir()
    assert file.name == f"audit-archive-000000000001-{end:012d}.jsonl"
    seqs = [json.loads(line)["seq"] for line in file.read_text().splitlines()]
    assert seqs == list(range(1, end + 1))
    with engine.connect() as conn:
        online = conn.execute(text("SELECT seq FROM audit_entries ORDER BY seq")).scalars().all()
        last = json.loads(
            conn.execute(text("SELECT body FROM audit_entries WHERE seq = 33")).scalar_one()
        )
    assert online == list(range(end + 1, 34))
    assert last["action"] == "audit.archive" and last["detail"]["last_seq"] == end

    plain = _verify(engine, settings)
    assert plain["ok"] and plain["archived_entries"] == end and plain["entries"] == 33 - end
    recomputed = _verify(engine, settings, folder)
    assert recomputed["ok"] and recomputed["archive_files_checked"] == 1
    cli = run_cli(settings, "audit", "verify", "--json", "--archive", str(folder))
    assert cli.returncode == 0 and json.loads(cli.stdout)["archive_files_checked"] == 1

    # Nothing was signed before 2000: nothing to archive.
    keys = audit_keys(settings)
    with engine.begin() as conn:
        early = archive(conn, date(2000, 1, 1), folder, actor=cli_actor(), signer=keys.signer)
    assert early is None
    # The chain goes on; a second stretch follows the first.
    append_reads(engine, settings, 10, every=5)
    with engine.begin() as conn:
        second = archive(
            conn, date.today() + timedelta(days=1), folder, actor=cli_actor(), signer=keys.signer
        )
    assert second is not None and second.first_seq == end + 1
    both = _verify(engine, settings, folder)
    assert both["ok"] and both["archive_files_checked"] == 2, both["problems"]


def test_a_changed_archive_or_record_is_caught(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    append_reads(engine, settings, 22, every=5)
    end = max(int(row["seq"]) for row in checkpoint_rows(engine))
    keys = audit_keys(settings)
    with engine.begin() as conn:
        done = archive(
            conn, date.today() + timedelta(days=1), tmp_path, actor=cli_actor(), signer=keys.signer
        )
    assert done is not None and (done.first_seq, done.last_seq) == (1, end)
    lines = done.file.read_text().splitlines()
    lines[6] = lines[6].replace('\\"count\\":6', '\\"count\\":60')
    done.file.write_text("\n".join(lines) + "\n")
    changed = _verify(engine, settings, tmp_path)
    assert not changed["ok"]
    assert [p["code"] for p in changed["problems"]] == ["archive-file-mismatch"]  # type: ignore[union-attr]
    # Without the files verify trusts the recorded last hash — which a signed checkpoint holds.
    assert _verify(engine, settings)["ok"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_archives SET last_hash = :h"), {"h": "0" * 64})
    rewritten = _verify(engine, settings)
    assert not rewritten["ok"] and rewritten["first_broken"] in (end, end + 1)


def test_the_partitions_of_the_months(engine: Engine, backend: str) -> None:
    with engine.begin() as conn:
        if backend != "postgresql":
            assert not partitions.partitioned(conn)
            assert partitions.ensure_partitions(conn, date(2030, 1, 5)) == []
            return
        assert partitions.partitioned(conn)
        names = {p.name for p in partitions.partitions(conn)}
        this_month = partitions.partition_name(partitions.month_of(date.today()))
        assert {this_month, partitions.DEFAULT} <= names  # made ahead when the database is prepared
        # An entry stored in a month nobody made lands in the default partition …
        conn.execute(
            text(
                "INSERT INTO audit_entries (seq, body, hash, at) "
                "VALUES (999999, '{}', :h, '2031-03-04T05:06:07+00:00')"
            ),
            {"h": "f" * 64},
        )
        assert conn.execute(text("SELECT count(*) FROM audit_entries_default")).scalar_one() == 1
        # … and moves into its month when that month's partition is made.
        assert partitions.ensure_partitions(conn, date(2031, 3, 1), ahead=0) == [
            "audit_entries_2031_03"
        ]
        assert conn.execute(text("SELECT count(*) FROM audit_entries_default")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_entries_2031_03")).scalar_one() == 1
        conn.execute(text("DELETE FROM audit_entries WHERE seq = 999999"))
        # An emptied month before the cut is dropped; this month's stays.
        partitions.ensure_partitions(conn, date(2020, 1, 1), ahead=0)
        assert partitions.drop_empty_before(conn, date.today()) == ["audit_entries_2020_01"]
        assert this_month in {p.name for p in partitions.partitions(conn)}
        conn.execute(text('DROP TABLE IF EXISTS "audit_entries_2031_03"'))


def test_existing_entries_move_into_their_months(backend: str, tmp_path: Path) -> None:
    """The migration to monthly partitions puts each stored entry into its own month and keeps
    every byte of it (a database migrated from before partitioning)."""
    with new_database(backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine, "0012_grant_suspension")
            rows = [
                (n, json.dumps({"action": "data.read", "at": at, "seq": n}), f"{n:064x}")
                for n, at in enumerate(
                    ["2025-06-30T23:59:59+00:00", "2025-07-01T00:00:00+00:00", "2025-07-15"], 1
                )
            ]
            with engine.begin() as conn:
                for seq, body, stored in rows:
                    conn.execute(
                        text("INSERT INTO audit_entries (seq, body, hash) VALUES (:s, :b, :h)"),
                        {"s": seq, "b": body, "h": stored},
                    )
            migrate.upgrade(engine)
            with engine.connect() as conn:
                kept = conn.execute(
                    text("SELECT seq, body, hash FROM audit_entries ORDER BY seq")
                ).all()
                assert [tuple(r) for r in kept] == rows
                if backend == "postgresql":
                    months = {p.name: p.entries for p in partitions.partitions(conn) if p.entries}
                    assert months == {"audit_entries_2025_06": 1, "audit_entries_2025_07": 2}
        finally:
            engine.dispose()
