"""Registry: unit code-list versions, units, successions, organisations, systems, credentials.

Revision ID: 0001_registry
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "unit_versions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("effective_from", sa.Date),
        sa.Column("effective_to", sa.Date),
        sa.Column("tiers", sa.Integer, nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("version_id", sa.String(32), sa.ForeignKey("unit_versions.id"), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(16)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("full_name", sa.String(250), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("unit_type", sa.String(32), nullable=False),
        sa.Column("folded_name", sa.String(250), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "code", name="pk_units"),
    )
    op.create_index("ix_units_version_parent", "units", ["version_id", "parent_code"])
    op.create_index("ix_units_folded", "units", ["folded_name"])
    op.create_table(
        "unit_successions",
        sa.Column("from_version", sa.String(32), nullable=False),
        sa.Column("from_code", sa.String(16), nullable=False),
        sa.Column("to_version", sa.String(32), nullable=False),
        sa.Column("to_code", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint(
            "from_version", "from_code", "to_version", "to_code", name="pk_unit_successions"
        ),
        sa.ForeignKeyConstraint(
            ["from_version", "from_code"],
            ["units.version_id", "units.code"],
            name="fk_unit_successions_from_version_units",
        ),
        sa.ForeignKeyConstraint(
            ["to_version", "to_code"],
            ["units.version_id", "units.code"],
            name="fk_unit_successions_to_version_units",
        ),
    )
    op.create_index("ix_unit_successions_to", "unit_successions", ["to_version", "to_code"])
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(35), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("unit_version", sa.String(32)),
        sa.Column("unit_code", sa.String(16)),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("sector", sa.String(100)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("code", name="uq_organisations_code"),
        sa.ForeignKeyConstraint(
            ["unit_version", "unit_code"],
            ["units.version_id", "units.code"],
            name="fk_organisations_unit_version_units",
        ),
    )
    op.create_index("ix_organisations_unit", "organisations", ["unit_version", "unit_code"])
    op.create_table(
        "systems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_seen_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("organisation_id", "code", name="uq_systems_organisation_id"),
    )
    op.create_index("ix_systems_organisation_id", "systems", ["organisation_id"])
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("system_id", sa.Integer, sa.ForeignKey("systems.id"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(128), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.UniqueConstraint("client_id", name="uq_credentials_client_id"),
    )
    op.create_index("ix_credentials_system_id", "credentials", ["system_id"])


def downgrade() -> None:
    for table in ("credentials", "systems", "organisations", "unit_successions", "units"):
        op.drop_table(table)
    op.drop_table("unit_versions")
