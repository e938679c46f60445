"""Fix and replay quarantined rows: corrected values are validated again and loaded.

A replay is a batch of its own (``replay_of`` names the original). Rows that now pass are
loaded and marked ``replayed``; rows that still fail stay ``open`` with their new values and
findings. The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import event, operator_actor, record
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import ValidationFailed
from lienthong.ingest.job import COMPLETED
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.pipeline import check_chunk, insert_quarantine, quarantine_rows, store_chunk
from lienthong.ingest.plan import prepare
from lienthong.ingest.service import get_batch
from lienthong.ingest.sources import SOURCE
from lienthong.standards.validate import ROW, CheckPlan

Fixes = Mapping[int, Mapping[str, str | None]]


def replay(
    *,
    session: Session,
    settings: Settings,
    batch_id: str,
    fixes: Fixes | None = None,
    today: date | None = None,
    actor: dict[str, Any] | None = None,
) -> Batch:
    """Replay the open quarantined rows of a batch, with ``fixes`` (quarantine id → values);
    an ``ingest.replay`` audit entry in the same transaction."""
    original = get_batch(session=session, batch_id=batch_id)
    plan = prepare(
        session=session,
        standard=original.standard,
        version=original.standard_version,
        today=today,
    )
    spec = plan.spec
    fixes = fixes or {}
    rows = list(
        session.scalars(
            select(QuarantineRow)
            .where(QuarantineRow.batch_id == batch_id, QuarantineRow.status == "open")
            .order_by(QuarantineRow.row)
        )
    )
    known = {r.id for r in rows}
    for qid, values in fixes.items():
        if qid not in known:
            raise ValidationFailed.on(
                "fixes",
                "unknown-quarantine-row",
                f"no open quarantined row {qid} in batch {batch_id}",
            )
        unknown = set(values) - set(spec.field_names)
        if unknown:
            raise ValidationFailed.on("fixes", "unknown-field", f"unknown fields {sorted(unknown)}")
    records = []
    for r in rows:
        values = {**r.values, **fixes.get(r.id, {})}
        records.append({ROW: r.row, **{f: values.get(f) for f in spec.field_names}})
    frame = pl.DataFrame(
        records, schema={ROW: pl.Int64, **dict.fromkeys(spec.field_names, pl.Utf8)}
    )
    batch = Batch(
        id=str(uuid.uuid4()),
        standard=spec.name,
        standard_version=spec.version,
        source_system=original.source_system,
        source_name=f"replay of {batch_id}",
        format="replay",
        checksum=f"replay:{batch_id}:{uuid.uuid4().hex}",
        status="running",
        report={},
        replay_of=batch_id,
    )
    session.add(batch)
    session.flush()
    chunk = check_chunk(
        index=0,
        frame=frame,
        plan=CheckPlan.build(spec, plan.book),
        mapping=None,
        successions=None,
        today=plan.today,
    )
    # Still-invalid rows stay in the original quarantine (updated), not in a new one.
    still = {q["row"]: q for q in quarantine_rows(batch.id, chunk)}
    kept = chunk.invalid
    store_chunk(
        session=session,
        batch=batch,
        spec=spec,
        chunk=type(chunk)(
            index=0,
            read=chunk.read,
            valid=chunk.valid,
            invalid=kept.clear(),
            findings=chunk.findings,
            keys=chunk.keys,
        ),
        quarantine=insert_quarantine,
    )
    batch.rows_quarantined = kept.height
    for r in rows:
        if r.row in still:
            # The source text of a row the reader could not split stays with it.
            kept = {SOURCE: r.values[SOURCE]} if SOURCE in r.values else {}
            r.values = {**still[r.row]["values"], **kept}
            r.findings = still[r.row]["findings"]
        else:
            r.status = "replayed"
            r.replayed_batch_id = batch.id
    batch.status = COMPLETED
    batch.finished_at = utcnow()
    session.flush()
    entry = event(
        "ingest.replay",
        actor=actor if actor is not None else operator_actor(),
        dataset=batch.standard,
        detail={"batch": batch.id, "replay_of": batch_id, "fixed": len(fixes)},
        count=batch.rows_read,
        counts={"loaded": batch.rows_loaded, "quarantined": batch.rows_quarantined},
    )
    record(session=session, settings=settings, entry=entry)
    return batch
