"""Security alerts: alerts with their evidence (audit entries), the detections already counted,
suppression windows, notification targets (webhook or e-mail) and their deliveries.

Revision ID: 0014_soc_alerts
Revises: 0013_soc_rules
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_soc_alerts"
down_revision = "0013_soc_rules"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "soc_suppressions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(128)),
        sa.Column("group_pattern", sa.String(512)),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_soc_suppressions"),
    )
    op.create_index("ix_soc_suppressions_ends", "soc_suppressions", ["ends_at"])
    op.create_table(
        "soc_alerts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("rule_title", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("group_key", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("live_key", sa.String(64)),
        sa.Column("suppression_id", sa.Integer),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("occurrences", sa.Integer, nullable=False),
        sa.Column("evidence_count", sa.Integer, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.String(200)),
        sa.Column("acknowledged_at", TS),
        sa.Column("acknowledge_reason", sa.String(500)),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("resolved_at", TS),
        sa.Column("resolve_reason", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_soc_alerts"),
        sa.UniqueConstraint("live_key", name="uq_soc_alerts_live_key"),
        sa.ForeignKeyConstraint(
            ["suppression_id"],
            ["soc_suppressions.id"],
            name="fk_soc_alerts_suppression_id_soc_suppressions",
        ),
    )
    op.create_index("ix_soc_alerts_status", "soc_alerts", ["status", "id"])
    op.create_index("ix_soc_alerts_rule", "soc_alerts", ["rule_id", "group_key"])
    op.create_table(
        "soc_alert_evidence",
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("audit_seq", SEQ, nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "audit_seq", name="pk_soc_alert_evidence"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["soc_alerts.id"], name="fk_soc_alert_evidence_alert_id_soc_alerts"
        ),
    )
    op.create_table(
        "soc_alert_detections",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_soc_alert_detections"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["soc_alerts.id"], name="fk_soc_alert_detections_alert_id_soc_alerts"
        ),
    )
    op.create_index("ix_soc_alert_detections_alert_id", "soc_alert_detections", ["alert_id"])
    op.create_table(
        "soc_targets",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.String(2000)),
        sa.Column("address", sa.String(320)),
        sa.Column("secret", sa.String(100)),
        sa.Column("min_severity", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_soc_targets"),
        sa.UniqueConstraint("name", name="uq_soc_targets_name"),
    )
    op.create_table(
        "soc_deliveries",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("target_id", sa.Integer, nullable=False),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.PrimaryKeyConstraint("id", name="pk_soc_deliveries"),
        sa.UniqueConstraint("msg_id", name="uq_soc_deliveries_msg_id"),
        sa.ForeignKeyConstraint(
            ["target_id"], ["soc_targets.id"], name="fk_soc_deliveries_target_id_soc_targets"
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["soc_alerts.id"], name="fk_soc_deliveries_alert_id_soc_alerts"
        ),
    )
    op.create_index("ix_soc_deliveries_due", "soc_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_soc_deliveries_target_id", "soc_deliveries", ["target_id"])
    op.create_index("ix_soc_deliveries_alert_id", "soc_deliveries", ["alert_id"])


def downgrade() -> None:
    for name in (
        "ix_soc_deliveries_alert_id",
        "ix_soc_deliveries_target_id",
        "ix_soc_deliveries_due",
    ):
        op.drop_index(name, table_name="soc_deliveries")
    op.drop_table("soc_deliveries")
    op.drop_table("soc_targets")
    op.drop_index("ix_soc_alert_detections_alert_id", table_name="soc_alert_detections")
    op.drop_table("soc_alert_detections")
    op.drop_table("soc_alert_evidence")
    op.drop_index("ix_soc_alerts_rule", table_name="soc_alerts")
    op.drop_index("ix_soc_alerts_status", table_name="soc_alerts")
    op.drop_table("soc_alerts")
    op.drop_index("ix_soc_suppressions_ends", table_name="soc_suppressions")
    op.drop_table("soc_suppressions")
