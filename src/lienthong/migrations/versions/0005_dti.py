"""DTI: indicator sets, declared values, department plans and targets.

Revision ID: 0005_dti
Revises: 0001_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_dti"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dti_sets",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("decision", sa.String(100)),
        sa.Column("builtin", sa.Boolean, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dti_sets"),
    )
    op.create_table(
        "dti_declarations",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("set_id", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("indicator", sa.String(40), nullable=False),
        sa.Column("value", sa.String(16), nullable=False),
        sa.Column("organisation_id", sa.Integer, nullable=False),
        sa.Column("evidence", sa.String(500), nullable=False),
        sa.Column("note", sa.String(1000)),
        sa.Column("declared_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dti_declarations"),
        sa.ForeignKeyConstraint(
            ["set_id"], ["dti_sets.id"], name="fk_dti_declarations_set_id_dti_sets"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_dti_declarations_organisation_id_organisations",
        ),
    )
    op.create_index(
        "ix_dti_declarations_set_year",
        "dti_declarations",
        ["set_id", "year", "indicator", "id"],
    )
    op.create_table(
        "dti_plans",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("organisation_id", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("phase_start", sa.Integer, nullable=False),
        sa.Column("phase_end", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dti_plans"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name="fk_dti_plans_organisation_id_organisations",
        ),
        sa.UniqueConstraint(
            "organisation_id", "phase_start", "phase_end", name="uq_dti_plans_organisation_id"
        ),
    )
    op.create_table(
        "dti_targets",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("key", sa.String(80)),
        sa.Column("set_id", sa.String(32)),
        sa.Column("target", sa.String(24), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("reported", sa.String(24)),
        sa.Column("evidence", sa.String(500)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("reported_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_dti_targets"),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["dti_plans.id"], name="fk_dti_targets_plan_id_dti_plans"
        ),
    )
    op.create_index("ix_dti_targets_plan_id", "dti_targets", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_dti_targets_plan_id", table_name="dti_targets")
    op.drop_table("dti_targets")
    op.drop_table("dti_plans")
    op.drop_index("ix_dti_declarations_set_year", table_name="dti_declarations")
    op.drop_table("dti_declarations")
    op.drop_table("dti_sets")
