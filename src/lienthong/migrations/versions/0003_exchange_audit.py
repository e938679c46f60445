"""Exchange (purposes, grants, counters) and the audit log (entries, subjects, checkpoints, head).

Revision ID: 0003_exchange_audit
Revises: 0001_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_exchange_audit"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "exchange_purposes",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "exchange_grants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "system_id",
            sa.Integer,
            sa.ForeignKey("systems.id", name="fk_exchange_grants_system_id_systems"),
            nullable=False,
        ),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("units", sa.JSON, nullable=False),
        sa.Column("communes", sa.JSON, nullable=False),
        sa.Column("purposes", sa.JSON, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(35)),
        sa.Column("reason", sa.String(500)),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("decided_at", TS),
    )
    op.create_index(
        "ix_exchange_grants_system_dataset", "exchange_grants", ["system_id", "dataset"]
    )
    op.create_table(
        "exchange_counters",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit_entries",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_subjects",
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", "subject", name="pk_audit_subjects"),
    )
    op.create_index("ix_audit_subjects_subject", "audit_subjects", ["subject", "seq"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(200), nullable=False),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("checkpoint_seq", SEQ, nullable=False),
        sa.Column("checkpoint_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "audit_head",
        "audit_checkpoints",
        "audit_subjects",
        "audit_entries",
        "exchange_counters",
        "exchange_grants",
        "exchange_purposes",
    ):
        op.drop_table(table)
