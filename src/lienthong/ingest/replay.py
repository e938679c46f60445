"""Fix and replay quarantined rows: corrected values are validated again and loaded.

The open quarantined rows of a batch, with the fixes merged in, are read as a source and run
through the same job as any input (:mod:`lienthong.ingest.job`), in the caller's transaction.
A replay is a batch of its own (``replay_of`` names the original). Rows that now pass are
loaded and marked ``replayed``; rows that still fail stay ``open`` in the original's quarantine
with their new values and findings.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import operator_actor
from lienthong.config import Settings
from lienthong.errors import ValidationFailed
from lienthong.ingest.check import DEFAULT_CHUNK_ROWS
from lienthong.ingest.job import finish, load, open_batch
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.pipeline import Chunk, Quarantine, quarantine_rows
from lienthong.ingest.plan import prepare
from lienthong.ingest.service import get_batch
from lienthong.ingest.sources import ROW, SOURCE, Source
from lienthong.ingest.sources.base import normalise_values
from lienthong.standards.schema import StandardSpec

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
    started = time.perf_counter()
    original = get_batch(session=session, batch_id=batch_id)
    plan = prepare(
        session=session,
        standard=original.standard,
        version=original.standard_version,
        today=today,
    )
    fixes = fixes or {}
    rows = list(
        session.scalars(
            select(QuarantineRow)
            .where(QuarantineRow.batch_id == batch_id, QuarantineRow.status == "open")
            .order_by(QuarantineRow.row)
        )
    )
    _check_fixes(fixes, rows=rows, spec=plan.spec, batch_id=batch_id)
    source = quarantine_source(rows, fixes, fields=plan.spec.field_names)
    # Its findings name the rows and columns as the original file has them.
    source.sheet_row_offset = original.sheet_row_offset
    source.headers = dict((original.report or {}).get("source_columns") or {})
    run = open_batch(
        session=session,
        plan=plan,
        source=source,
        chunks=plan.check(source),
        system=original.source_system,
        digest=f"replay:{batch_id}:{uuid.uuid4().hex}",
        source_name=f"replay of {batch_id}",
        started=started,
        quarantine=_back_to_quarantine(rows),
        replay_of=batch_id,
        detail={"fixed": len(fixes)},
    )
    load(
        session=session,
        run=run,
        transaction=contextlib.nullcontext,
        dialect=session.get_bind().dialect,
    )
    who = actor if actor is not None else operator_actor()
    return finish(session=session, settings=settings, actor=who, run=run)


def _check_fixes(
    fixes: Fixes, *, rows: list[QuarantineRow], spec: StandardSpec, batch_id: str
) -> None:
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


def quarantine_source(
    rows: list[QuarantineRow],
    fixes: Fixes,
    *,
    fields: list[str],
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Source:
    """Quarantined rows, fixes merged in, as a source whose columns are the standard's fields
    (``_row``: the row's number in the original input)."""
    schema = {ROW: pl.Int64, **dict.fromkeys(fields, pl.Utf8)}

    def reader() -> Iterator[pl.DataFrame]:
        for start in range(0, len(rows), chunk_rows):
            records = []
            for r in rows[start : start + chunk_rows]:
                values = {**r.values, **fixes.get(r.id, {})}
                records.append({ROW: r.row, **{f: values.get(f) for f in fields}})
            yield normalise_values(pl.DataFrame(records, schema=schema), fields)

    return Source(format="replay", columns=list(fields), reader=reader)


def _back_to_quarantine(rows: list[QuarantineRow]) -> Quarantine:
    """Rows that still fail stay in the original's quarantine (with their new values and
    findings) rather than in a new one; the others are marked replayed."""
    by_row = {r.row: r for r in rows}

    def settle(session: Session, batch: Batch, chunk: Chunk) -> int:
        still = {q["row"]: q for q in quarantine_rows(batch, chunk)}
        for row in (*chunk.valid.get_column(ROW), *chunk.invalid.get_column(ROW)):
            entry = by_row[row]
            if row in still:
                # The source text of a row the reader could not split stays with it.
                kept = {SOURCE: entry.values[SOURCE]} if SOURCE in entry.values else {}
                entry.values = {**still[row]["values"], **kept}
                entry.findings = still[row]["findings"]
            else:
                entry.status = "replayed"
                entry.replayed_batch_id = batch.id
        return 0  # the entries are the original's: none made, none open twice

    return settle
