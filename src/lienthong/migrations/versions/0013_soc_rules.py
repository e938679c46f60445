"""Detection rules: which rules the operator switched on or off, and how far the rules runner
and the background chain verifier have read the audit log (with the rules' learned baselines).

Revision ID: 0013_soc_rules
Revises: 0012_grant_suspension
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_soc_rules"
down_revision = "0012_grant_suspension"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "soc_rule_settings",
        sa.Column("rule_id", sa.String(100), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_table(
        "soc_positions",
        sa.Column("name", sa.String(300), primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("hash", sa.String(64)),
        sa.Column("state", sa.Text()),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("soc_positions")
    op.drop_table("soc_rule_settings")
