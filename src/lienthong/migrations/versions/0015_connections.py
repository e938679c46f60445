"""Security monitoring: the positions of the audit stream's readers (the SIEM forwarder, the
connection scanner) and each system's contact with the platform (last seen, heartbeat,
expected interval, the silence already reported).

Revision ID: 0015_connections
Revises: 0012_grant_suspension
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_connections"
down_revision = "0012_grant_suspension"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "soc_positions",
        sa.Column("name", sa.String(300), primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
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
    op.drop_table("soc_positions")
