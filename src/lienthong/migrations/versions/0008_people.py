"""People: persons from the identity provider, their roles and personal access tokens; the
owning organisation of each dataset; the data stewards' approvals of grants; who requested a
grant.

Existing grants keep their status and ``decided_by`` (the organisation code typed then), so
they keep working; new decisions need the dataset's owner, set by the platform operator
(docs/people.md, "Upgrading").

Revision ID: 0008_people
Revises: 0007_standard_versions
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_people"
down_revision = "0007_standard_versions"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("personal_id", sa.String(12)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("issuer", "subject"),
    )
    op.create_table(
        "people_roles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id")),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_people_roles_person_id", "people_roles", ["person_id"])
    op.create_table(
        "people_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
    )
    op.create_index("ix_people_tokens_person_id", "people_tokens", ["person_id"])
    op.create_table(
        "dataset_owners",
        sa.Column("dataset", sa.String(40), primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("four_eyes", sa.Boolean),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_dataset_owners_organisation_id", "dataset_owners", ["organisation_id"])
    op.create_table(
        "exchange_grant_approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("grant_id", sa.Integer, sa.ForeignKey("exchange_grants.id"), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("person_name", sa.String(200), nullable=False),
        sa.Column("organisation", sa.String(35), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.UniqueConstraint("grant_id", "person_id"),
    )
    op.create_index(
        "ix_exchange_grant_approvals_grant_id", "exchange_grant_approvals", ["grant_id"]
    )
    with op.batch_alter_table("exchange_grants") as batch:
        batch.add_column(sa.Column("requested_by_person", sa.Integer))
        batch.create_foreign_key(
            "fk_exchange_grants_requested_by_person", "people", ["requested_by_person"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_grants") as batch:
        batch.drop_constraint("fk_exchange_grants_requested_by_person", type_="foreignkey")
        batch.drop_column("requested_by_person")
    op.drop_table("exchange_grant_approvals")
    op.drop_table("dataset_owners")
    op.drop_table("people_tokens")
    op.drop_table("people_roles")
    op.drop_table("people")
