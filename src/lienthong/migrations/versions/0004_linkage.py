"""Linkage: master entities, links, scored pairs, review queue.

Revision ID: 0004_linkage
Revises: 0001_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_linkage"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
PAIR = ("left_dataset", "left_key", "right_dataset", "right_key")


def _pair_columns() -> list[sa.Column]:
    return [
        sa.Column("left_dataset", sa.String(64), nullable=False),
        sa.Column("left_key", sa.String(200), nullable=False),
        sa.Column("right_dataset", sa.String(64), nullable=False),
        sa.Column("right_key", sa.String(200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "linkage_masters",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_linkage_masters"),
    )
    op.create_index("ix_linkage_masters_kind", "linkage_masters", ["kind", "id"])
    op.create_table(
        "linkage_links",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("record_key", sa.String(200), nullable=False),
        sa.Column("master_id", sa.String(40), nullable=False),
        sa.Column("match_weight", sa.Float),
        sa.Column("match_kind", sa.String(16), nullable=False),
        sa.Column("record_updated_at", sa.String(40)),
        sa.Column("linked_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("kind", "dataset", "record_key", name="pk_linkage_links"),
    )
    op.create_index("ix_linkage_links_master", "linkage_links", ["master_id"])
    op.create_table(
        "linkage_pairs",
        sa.Column("kind", sa.String(16), nullable=False),
        *_pair_columns(),
        sa.Column("match_weight", sa.Float, nullable=False),
        sa.Column("match_kind", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text),
        sa.PrimaryKeyConstraint("kind", *PAIR, name="pk_linkage_pairs"),
    )
    op.create_table(
        "linkage_reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        *_pair_columns(),
        sa.Column("match_weight", sa.Float, nullable=False),
        sa.Column("evidence", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("note", sa.String(500)),
        sa.Column("decided_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_linkage_reviews"),
        sa.UniqueConstraint("kind", *PAIR, name="uq_linkage_reviews_kind"),
    )
    op.create_index("ix_linkage_reviews_status", "linkage_reviews", ["status", "id"])


def downgrade() -> None:
    op.drop_table("linkage_reviews")
    op.drop_table("linkage_pairs")
    op.drop_table("linkage_links")
    op.drop_table("linkage_masters")
