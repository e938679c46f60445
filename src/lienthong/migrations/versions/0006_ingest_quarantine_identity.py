"""Ingest: a quarantine entry's identity, and where a batch's rows sit on the sheet.

``ingest_quarantine.fingerprint`` identifies the problem row (standard version, source system,
values as sent); a partial unique index keeps one open entry per fingerprint. Entries made
before have none (null fingerprints never conflict). ``ingest_batches.sheet_row_offset`` turns
a row's number in its source into the spreadsheet's row number: 1 for the CSV and workbook
batches made before (a header on the first row), 0 for the other formats.

Revision ID: 0006_ingest_quarantine_identity
Revises: 0005_ingest_batch_state
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ingest_quarantine_identity"
down_revision = "0005_ingest_batch_state"
branch_labels = None
depends_on = None

INDEX = "uq_ingest_quarantine_open_fingerprint"
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table("ingest_quarantine") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64)))
    op.create_index(
        INDEX,
        "ingest_quarantine",
        ["fingerprint"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    with op.batch_alter_table("ingest_batches") as batch:
        batch.add_column(
            sa.Column("sheet_row_offset", sa.Integer, nullable=False, server_default="0")
        )
    batches = sa.table("ingest_batches", sa.column("format"), sa.column("sheet_row_offset"))
    op.execute(
        batches.update().where(batches.c.format.in_(("csv", "xlsx"))).values(sheet_row_offset=1)
    )


def downgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        batch.drop_column("sheet_row_offset")
    op.drop_index(INDEX, table_name="ingest_quarantine")
    with op.batch_alter_table("ingest_quarantine") as batch:
        batch.drop_column("fingerprint")
