"""Federation: peer instances, with their cached JWKS.

Revision ID: 0019_federation
Revises: 0018_provider_services
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_federation"
down_revision = "0018_provider_services"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "federation_peers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("jwks_url", sa.String(1000), nullable=False),
        sa.Column("audience", sa.String(500), nullable=False),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("systems.id"), nullable=False),
        sa.Column("credential_id", sa.Integer(), sa.ForeignKey("credentials.id"), nullable=False),
        sa.Column("jwks", sa.Text()),
        sa.Column("jwks_fetched_at", TS),
        sa.Column("refresh_tried_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_federation_peers"),
        sa.UniqueConstraint("name", name="uq_federation_peers_name"),
        sa.UniqueConstraint("issuer", name="uq_federation_peers_issuer"),
    )
    op.create_index("ix_federation_peers_system_id", "federation_peers", ["system_id"])


def downgrade() -> None:
    op.drop_index("ix_federation_peers_system_id", table_name="federation_peers")
    op.drop_table("federation_peers")
