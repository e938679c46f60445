"""Security monitoring: the positions of the audit stream's readers (the SIEM forwarder, the
connection scanner) and each system's contact with the platform (last seen, heartbeat,
expected interval, the silence already reported).

Revision ID: 0015_connections
Revises: 0014_soc_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_connections"
down_revision = "0014_soc_alerts"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "soc_system_connections",
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("systems.id"), primary_key=True),
        sa.Column("expected_interval_seconds", sa.Integer()),
        sa.Column("last_seen_at", TS),
        sa.Column("last_seen_seq", SEQ),
        sa.Column("last_heartbeat_at", TS),
        sa.Column("silence_reported_at", TS),
    )


def downgrade() -> None:
    op.drop_table("soc_system_connections")
