"""Client certificates: a credential may authenticate with a TLS client certificate
(``tls_client_auth``, RFC 8705) named by its subject DN or a subject alternative name.

Existing credentials keep their secrets and gain nothing (the column is empty).

Revision ID: 0010_client_certificates
Revises: 0007_standard_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_client_certificates"
down_revision = "0009_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("tls_client_name", sa.String(512)))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("tls_client_name")
