"""The audit log's monthly partitions on PostgreSQL (migration 0017): made ahead of time, and
rows that fell into the default partition moved into their month once it exists.

SQLite keeps one table; every function here does nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

PARENT = "audit_entries"
DEFAULT = "audit_entries_default"


def month_of(day: date) -> date:
    return date(day.year, day.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"audit_entries_{month:%Y_%m}"


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the default partition
    entries: int


def partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = :parent AND c.relnamespace = to_regnamespace(current_schema())"
        ),
        {"parent": PARENT},
    ).first()
    return found is not None


def partitions(conn: Connection) -> list[Partition]:
    """The partitions, oldest month first, the default partition last, with their entries."""
    if not partitioned(conn):
        return []
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :parent "
            "AND p.relnamespace = to_regnamespace(current_schema()) ORDER BY c.relname"
        ),
        {"parent": PARENT},
    ).scalars()
    found = []
    for name in names:
        count = conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()  # noqa: S608 — a catalogue name
        month = None if name == DEFAULT else date(int(name[-7:-3]), int(name[-2:]), 1)
        found.append(Partition(name, month, int(count)))
    return sorted(found, key=lambda p: (p.month is None, p.month or date.min))


def ensure_partitions(conn: Connection, today: date, ahead: int = 2) -> list[str]:
    """Make this month's partition and the next ``ahead`` months' if missing, and the default
    partition (in the caller's transaction); rows the default partition holds for such a month
    move into it. Returns the names made."""
    if not partitioned(conn):
        return []
    existing = {p.name for p in partitions(conn)}
    made = []
    if DEFAULT not in existing:
        conn.execute(text(f"CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT"))
        made.append(DEFAULT)
    month = month_of(today)
    for _ in range(ahead + 1):
        name = partition_name(month)
        if name not in existing:
            _make(conn, month)
            made.append(name)
        month = next_month(month)
    return made


def _make(conn: Connection, month: date) -> None:
    name = partition_name(month)
    bounds = {"start": f"{month.isoformat()}T00:00:00+00:00"}
    bounds["end"] = f"{next_month(month).isoformat()}T00:00:00+00:00"
    # A new month cannot be attached while the default partition holds rows of it: they move
    # into a table of their own first, which is then attached as the month's partition.
    conn.execute(text(f'CREATE TABLE "{name}" (LIKE {PARENT} INCLUDING DEFAULTS)'))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE at >= CAST(:start AS timestamptz) "  # noqa: S608 — catalogue names
            f"AND at < CAST(:end AS timestamptz) RETURNING seq, body, hash, at) "
            f'INSERT INTO "{name}" (seq, body, hash, at) SELECT seq, body, hash, at FROM moved'
        ),
        bounds,
    )
    conn.execute(
        text(
            f'ALTER TABLE {PARENT} ATTACH PARTITION "{name}" '
            f"FOR VALUES FROM ('{bounds['start']}') TO ('{bounds['end']}')"
        )
    )


def drop_empty_before(conn: Connection, before: date) -> list[str]:
    """Drop the month partitions that end on or before ``before`` and hold no entry (what an
    archive emptied). Returns their names."""
    dropped = []
    for partition in partitions(conn):
        if partition.month is None or partition.entries:
            continue
        if next_month(partition.month) <= before:
            conn.execute(text(f'ALTER TABLE {PARENT} DETACH PARTITION "{partition.name}"'))
            conn.execute(text(f'DROP TABLE "{partition.name}"'))
            dropped.append(partition.name)
    return dropped
