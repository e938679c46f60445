"""Audit log by month on PostgreSQL, and archived stretches of the chain.

On PostgreSQL ``audit_entries`` becomes a table partitioned by month on a new column ``at``
(the time the entry was stored; default ``now()``, so writers are unchanged), with a default
partition that catches a month nobody created yet; existing entries move into their month
(read from the entry's own ``at``). The primary key becomes ``(seq, at)`` — PostgreSQL requires
the partition key in it; the chain itself proves each ``seq`` appears once.

``audit_archives`` records each stretch of the chain taken out of the database (its first and
last entry, the last hash — which a signed checkpoint must hold —, the file and its SHA-256),
so that ``lienthong audit verify`` continues the chain from it.

Revision ID: 0017_audit_archive
Revises: 0016_change_outbox
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0017_audit_archive"
down_revision = "0016_change_outbox"
branch_labels = None
depends_on = None


def _month(value: date) -> date:
    return date(value.year, value.month, 1)


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def upgrade() -> None:
    op.create_table(
        "audit_archives",
        sa.Column(
            "first_seq",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("file", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    conn = op.get_bind()
    op.execute("ALTER TABLE audit_entries RENAME TO audit_entries_unpartitioned")
    primary = conn.execute(
        sa.text(
            "SELECT conname FROM pg_constraint WHERE contype = 'p' "
            "AND conrelid = 'audit_entries_unpartitioned'::regclass"
        )
    ).scalar_one()
    op.execute(
        f'ALTER TABLE audit_entries_unpartitioned RENAME CONSTRAINT "{primary}" '
        "TO audit_entries_unpartitioned_pkey"
    )
    op.execute(
        "CREATE TABLE audit_entries (seq bigint NOT NULL, body text NOT NULL, "
        "hash varchar(64) NOT NULL, at timestamptz NOT NULL DEFAULT now(), "
        "PRIMARY KEY (seq, at)) PARTITION BY RANGE (at)"
    )
    stamps = conn.execute(
        sa.text(
            "SELECT min((body::json->>'at')::timestamptz), max((body::json->>'at')::timestamptz) "
            "FROM audit_entries_unpartitioned"
        )
    ).one()
    now = datetime.now(UTC).date()
    first = _month(stamps[0].date()) if stamps[0] is not None else _month(now)
    last = _next(_next(_month(max(now, stamps[1].date() if stamps[1] is not None else now))))
    month = first
    while month <= last:
        op.execute(
            f"CREATE TABLE audit_entries_{month:%Y_%m} PARTITION OF audit_entries "
            f"FOR VALUES FROM ('{month.isoformat()}T00:00:00+00:00') "
            f"TO ('{_next(month).isoformat()}T00:00:00+00:00')"
        )
        month = _next(month)
    op.execute("CREATE TABLE audit_entries_default PARTITION OF audit_entries DEFAULT")
    op.execute(
        "INSERT INTO audit_entries (seq, body, hash, at) SELECT seq, body, hash, "
        "(body::json->>'at')::timestamptz FROM audit_entries_unpartitioned"
    )
    op.execute("DROP TABLE audit_entries_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_entries RENAME TO audit_entries_partitioned")
        op.execute(
            "CREATE TABLE audit_entries (seq bigint PRIMARY KEY, body text NOT NULL, "
            "hash varchar(64) NOT NULL)"
        )
        op.execute(
            "INSERT INTO audit_entries (seq, body, hash) "
            "SELECT seq, body, hash FROM audit_entries_partitioned"
        )
        op.execute("DROP TABLE audit_entries_partitioned CASCADE")
    op.drop_table("audit_archives")
