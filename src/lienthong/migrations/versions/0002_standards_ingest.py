"""Standards, shared code lists, ingest batches and quarantine.

Revision ID: 0002_standards_ingest
Revises: 0001_registry
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_standards_ingest"
down_revision = "0001_registry"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "standards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("breaking", sa.JSON),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("published_at", TS),
        sa.Column("deprecated_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_standards"),
        sa.UniqueConstraint("name", "version", name="uq_standards_name_version"),
    )
    op.create_table(
        "codelists",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("source", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name="pk_codelists"),
    )
    op.create_table(
        "codelist_entries",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("label_en", sa.String(300)),
        sa.PrimaryKeyConstraint("name", "version", "code", name="pk_codelist_entries"),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["codelists.name", "codelists.version"],
            name="fk_codelist_entries_name_codelists",
        ),
    )
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("standard", sa.String(40), nullable=False),
        sa.Column("standard_version", sa.Integer, nullable=False),
        sa.Column("source_system", sa.String(120), nullable=False),
        sa.Column("source_name", sa.String(500), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("checksum", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chunks_done", sa.Integer, nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_loaded", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("replay_of", sa.String(36)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_batches"),
    )
    op.create_index(
        "ix_ingest_batches_resume", "ingest_batches", ["checksum", "standard", "source_system"]
    )
    op.create_table(
        "ingest_quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("replayed_batch_id", sa.String(36)),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_quarantine"),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batches.id"], name="fk_ingest_quarantine_batch_id_ingest_batches"
        ),
        sa.UniqueConstraint("batch_id", "row", name="uq_ingest_quarantine_batch_id"),
    )
    op.create_index("ix_ingest_quarantine_batch_id", "ingest_quarantine", ["batch_id"])


def downgrade() -> None:
    op.drop_table("ingest_quarantine")
    op.drop_table("ingest_batches")
    op.drop_table("codelist_entries")
    op.drop_table("codelists")
    op.drop_table("standards")
