"""Audit checkpoints state their predecessor and the checkpoint policy; the head remembers it.

Revision ID: 0005_audit_checkpoint_policy
Revises: 0003_exchange_audit
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_audit_checkpoint_policy"
down_revision = "0003_exchange_audit"
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.add_column("audit_checkpoints", sa.Column("prev", SEQ, nullable=True))
    op.add_column("audit_checkpoints", sa.Column("every", sa.Integer, nullable=True))
    op.add_column("audit_checkpoints", sa.Column("seconds", sa.Integer, nullable=True))
    op.add_column("audit_head", sa.Column("checkpoint_every", sa.Integer, nullable=True))
    op.add_column("audit_head", sa.Column("checkpoint_seconds", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("checkpoint_seconds")
        batch.drop_column("checkpoint_every")
    with op.batch_alter_table("audit_checkpoints") as batch:
        batch.drop_column("seconds")
        batch.drop_column("every")
        batch.drop_column("prev")
