"""Grant suspension: the platform operator or a data steward of the dataset's owner suspends
an approved grant (reversible) and resumes it; who did it, when and why are kept on the grant
while it is suspended.

Existing grants keep their status and gain empty columns.

Revision ID: 0012_grant_suspension
Revises: 0010_client_certificates
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_grant_suspension"
down_revision = "0011_linkage_models"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("exchange_grants") as batch:
        batch.add_column(sa.Column("suspended_by", sa.String(35)))
        batch.add_column(sa.Column("suspended_at", TS))
        batch.add_column(sa.Column("suspension_reason", sa.String(500)))


def downgrade() -> None:
    with op.batch_alter_table("exchange_grants") as batch:
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_at")
        batch.drop_column("suspended_by")
