"""Linkage models: trained versions of a kind's m and u probabilities and term frequencies.

Revision ID: 0011_linkage_models
Revises: 0010_client_certificates
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_linkage_models"
down_revision = "0010_client_certificates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "linkage_models",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("in_use", sa.Boolean, nullable=False),
        sa.Column("trained_by", sa.String(200), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("term_frequencies", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_linkage_models"),
    )
    op.create_index("ix_linkage_models_kind", "linkage_models", ["kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_linkage_models_kind", table_name="linkage_models")
    op.drop_table("linkage_models")
