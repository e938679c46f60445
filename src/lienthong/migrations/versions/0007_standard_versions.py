"""Standard versions: the reason a breaking version was published, its retirement day, and
the version each grant reads.

A grant made before versions were pinned reads the version that was current when it was
requested: the highest version published by then, else the first one ever published (the
built-ins are published when the database is prepared), else 1.

Revision ID: 0007_standard_versions
Revises: 0006_ingest_quarantine_identity
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_standard_versions"
down_revision = "0006_ingest_quarantine_identity"
branch_labels = None
depends_on = "0003_exchange_audit"

standards = sa.table(
    "standards",
    sa.column("name", sa.String),
    sa.column("version", sa.Integer),
    sa.column("published_at", sa.DateTime),
)
grants = sa.table(
    "exchange_grants",
    sa.column("dataset", sa.String),
    sa.column("version", sa.Integer),
    sa.column("requested_at", sa.DateTime),
)


def upgrade() -> None:
    with op.batch_alter_table("standards") as batch:
        batch.add_column(sa.Column("breaking_reason", sa.String(500)))
        batch.add_column(sa.Column("retire_on", sa.Date))
    with op.batch_alter_table("exchange_grants") as batch:
        batch.add_column(sa.Column("version", sa.Integer))
    published = standards.c.published_at.is_not(None) & (standards.c.name == grants.c.dataset)
    current = (
        sa.select(sa.func.max(standards.c.version))
        .where(published, standards.c.published_at <= grants.c.requested_at)
        .scalar_subquery()
    )
    first = sa.select(sa.func.min(standards.c.version)).where(published).scalar_subquery()
    op.get_bind().execute(grants.update().values(version=sa.func.coalesce(current, first, 1)))
    with op.batch_alter_table("exchange_grants") as batch:
        batch.alter_column("version", existing_type=sa.Integer, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_grants") as batch:
        batch.drop_column("version")
    with op.batch_alter_table("standards") as batch:
        batch.drop_column("retire_on")
        batch.drop_column("breaking_reason")
