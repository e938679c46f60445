"""Change events: the store's transactional outbox, consumers' subscriptions and the
dead-letter queue of what they refused.

Revision ID: 0016_change_outbox
Revises: 0015_connections
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_change_outbox"
down_revision = "0015_connections"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "store_outbox",
        sa.Column("position", POSITION, primary_key=True, autoincrement=True),
        sa.Column("record_key", sa.Text(), nullable=False),
        sa.Column("area", sa.Text()),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(8), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.String(36)),
        sa.Column("changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_store_outbox"),
    )
    op.create_index("ix_store_outbox_dataset_position", "store_outbox", ["dataset", "position"])
    op.create_table(
        "change_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("systems.id"), nullable=False),
        sa.Column("grant_id", sa.Integer(), sa.ForeignKey("exchange_grants.id"), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2000)),
        sa.Column("secret", sa.String(200)),
        sa.Column("subject", sa.String(200)),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("pending_through", sa.BigInteger()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_error", sa.String(300)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_subscriptions"),
        sa.UniqueConstraint("uid", name="uq_change_subscriptions_uid"),
    )
    op.create_index("ix_change_subscriptions_system_id", "change_subscriptions", ["system_id"])
    op.create_index("ix_change_subscriptions_grant_id", "change_subscriptions", ["grant_id"])
    op.create_table(
        "change_dead_letters",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.Integer(),
            sa.ForeignKey("change_subscriptions.id"),
            nullable=False,
        ),
        sa.Column("first_position", sa.BigInteger(), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(300)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("replayed_at", TS),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_dead_letters"),
    )
    op.create_index(
        "ix_change_dead_letters_subscription_id", "change_dead_letters", ["subscription_id"]
    )


def downgrade() -> None:
    op.drop_table("change_dead_letters")
    op.drop_table("change_subscriptions")
    op.drop_table("store_outbox")
