"""Ingest: the state a batch's JSON report carried becomes columns.

``started_on_empty_store``, ``resumed_from_chunk``, ``error`` and a pull's ``since``,
``watermark`` and ``watermark_max`` move out of ``report``, which keeps the findings summary;
the report's ``timings.total`` becomes ``seconds``, as a check reports it.

Revision ID: 0005_ingest_batch_state
Revises: 0002_standards_ingest
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_ingest_batch_state"
down_revision = "0002_standards_ingest"
branch_labels = None
depends_on = None

STATE = ("started_on_empty_store", "resumed_from_chunk", "error", "since", "watermark")
PULLED = "watermark_max"

batches = sa.table(
    "ingest_batches",
    sa.column("id", sa.String),
    sa.column("report", sa.JSON),
    *(sa.column(name) for name in (*STATE, PULLED)),
)


def upgrade() -> None:
    with op.batch_alter_table("ingest_batches") as batch:
        batch.add_column(
            sa.Column(
                "started_on_empty_store", sa.Boolean, nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("resumed_from_chunk", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("error", sa.String(500)))
        batch.add_column(sa.Column("since", sa.Text))
        batch.add_column(sa.Column("watermark", sa.String(100)))
        batch.add_column(sa.Column("watermark_max", sa.Text))
    conn = op.get_bind()
    for row in conn.execute(sa.select(batches.c.id, batches.c.report)).all():
        report: dict[str, Any] = dict(row.report or {})
        moved = {name: report.pop(name) for name in (*STATE, PULLED) if name in report}
        timings = dict(report.pop("timings", None) or {})
        if "total" in timings:
            report["seconds"] = timings.pop("total")
        if timings:
            report["timings"] = timings
        moved["started_on_empty_store"] = bool(moved.get("started_on_empty_store"))
        moved["resumed_from_chunk"] = int(moved.get("resumed_from_chunk") or 0)
        for name in ("since", "watermark", PULLED):
            if moved.get(name) is not None:
                moved[name] = str(moved[name])
        conn.execute(batches.update().where(batches.c.id == row.id).values(report=report, **moved))


def downgrade() -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(batches)).all():
        report: dict[str, Any] = dict(row.report or {})
        timings = dict(report.pop("timings", None) or {})
        if "seconds" in report:
            timings["total"] = report.pop("seconds")
        if timings:
            report["timings"] = timings
        for name in (*STATE, PULLED):
            if getattr(row, name) is not None:
                report[name] = getattr(row, name)
        conn.execute(batches.update().where(batches.c.id == row.id).values(report=report))
    with op.batch_alter_table("ingest_batches") as batch:
        for name in (PULLED, *reversed(STATE)):
            batch.drop_column(name)
