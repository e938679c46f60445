"""People's sign-in: sessions (only the hash of the cookie's id) and sign-ins under way.

Revision ID: 0009_signin
Revises: 0007_standard_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_signin"
down_revision = "0008_people"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signin_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("name", sa.String(500)),
        sa.Column("personal_id", sa.String(32)),
        sa.Column("claims", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_signin_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_signin_sessions_token_hash"),
    )
    op.create_index("ix_signin_sessions_subject", "signin_sessions", ["issuer", "subject"])
    op.create_table(
        "signin_attempts",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_signin_attempts"),
    )


def downgrade() -> None:
    op.drop_table("signin_attempts")
    op.drop_index("ix_signin_sessions_subject", table_name="signin_sessions")
    op.drop_table("signin_sessions")
