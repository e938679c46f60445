"""Provider services: a sector system's own API registered from its OpenAPI document, called
by consumers through the platform under their grants.

Revision ID: 0018_provider_services
Revises: 0017_audit_archive
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_provider_services"
down_revision = "0017_audit_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_services",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(32), nullable=False, unique=True),
        sa.Column("system_id", sa.Integer(), sa.ForeignKey("systems.id"), nullable=False),
        sa.Column("base_url", sa.String(500), nullable=False),
        sa.Column("health_path", sa.String(200)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("document_version", sa.String(64), nullable=False),
        sa.Column("operations", sa.JSON(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("max_response_bytes", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_provider_services_system_id", "provider_services", ["system_id"])


def downgrade() -> None:
    op.drop_index("ix_provider_services_system_id", "provider_services")
    op.drop_table("provider_services")
