"""Ingest batches: run a file into a standard's table (resumable), list batches and quarantine.

``ingest_file`` is a job: it owns its transactions (one per chunk), so it takes the engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lienthong.audit.service import audit_keys, event, operator_actor, record
from lienthong.config import Settings
from lienthong.db import session_factory, utcnow
from lienthong.errors import BadRequest, LienthongError, NotFound
from lienthong.ingest.check import CheckRequest
from lienthong.ingest.claim import claim
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.pipeline import (
    Progress,
    Timings,
    elapsed,
    file_findings,
    prefetch,
    store_chunk,
    with_bulk,
)
from lienthong.ingest.plan import prepare
from lienthong.ingest.sources import Source
from lienthong.paging import DEFAULT_LIMIT, keyset_page
from lienthong.registry.systems import get_system
from lienthong.store.service import is_empty

RUNNING, COMPLETED, FAILED = "running", "completed", "failed"


@dataclass(frozen=True, kw_only=True)
class IngestRequest(CheckRequest):
    system: str  # "ORG/SYSTEM"


def checksum(path: Path, mapping: Mapping | None = None) -> str:
    """SHA-256 of the input (and of the mapping's document, which changes what the input
    means)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if mapping is not None:
        digest.update(mapping.document)
    return "sha256:" + digest.hexdigest()


def resolve_system(*, session: Session, system: str) -> str:
    """``ORG/SYSTEM`` of a registered system (``unknown-system`` otherwise)."""
    organisation, _, code = system.partition("/")
    if not organisation or not code:
        raise BadRequest("--system must be ORGANISATION/SYSTEM", code="invalid-system")
    try:
        found = get_system(session=session, organisation=organisation, code=code)
    except NotFound as exc:
        raise NotFound(f"no registered system {system!r}", code="unknown-system") from exc
    return f"{found.organisation.code}/{found.code}"


def _resumable(
    session: Session, *, digest: str, standard: str, version: int, system: str
) -> Batch | None:
    stmt = select(Batch).where(
        Batch.checksum == digest,
        Batch.standard == standard,
        Batch.standard_version == version,
        Batch.source_system == system,
        Batch.status.in_((RUNNING, FAILED)),
        Batch.replay_of.is_(None),
    )
    return session.scalars(stmt.order_by(Batch.started_at.desc())).first()


def ingest_file(
    *,
    engine: Engine,
    request: IngestRequest,
    settings: Settings,
    actor: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Batch:
    """Validate and load one file; returns the finished batch (resumed if interrupted).
    ``actor``: who asked, for the audit entry (the API's operator unless given)."""
    mapping = request.read_mapping()
    return run_source(
        engine=engine,
        opener=request.open,
        standard=request.standard,
        system=request.system,
        mapping=mapping,
        digest=checksum(request.path, mapping),
        source_name=request.source_name or request.path.name,
        today=request.today,
        progress=progress,
        settings=settings,
        actor=actor,
    )


def run_source(
    *,
    engine: Engine,
    opener: Callable[[], Source],
    standard: str,
    system: str,
    mapping: Mapping | None,
    digest: str,
    source_name: str,
    today: date | None = None,
    progress: Progress | None = None,
    report: dict[str, Any] | None = None,
    settings: Settings,
    actor: dict[str, Any] | None = None,
) -> Batch:
    """Run any source into a standard: the batch is created once the first chunk passed
    mapping, and resumed when the same digest, standard and system has an unfinished batch.
    Its end — completed or failed — is an ``ingest.batch`` audit entry, committed with it."""
    audit_keys(settings)  # no keys, no ingest: fail before anything is written
    who = actor if actor is not None else operator_actor()
    started = time.perf_counter()
    timings = Timings()
    sessions = session_factory(engine)
    with sessions() as session, contextlib.ExitStack() as held:
        with session.begin():
            plan = prepare(session=session, standard=standard, mapping=mapping, today=today)
            system = resolve_system(session=session, system=system)
        spec = plan.spec
        # One run per input at a time (a double-clicked upload): the other gets 409.
        held.enter_context(claim(engine, f"{digest}|{spec.name}|{spec.version}|{system}"))
        source = opener()
        t = time.perf_counter()
        checked = plan.check(source)
        # The first chunk is checked before anything is written (no-matching-columns, …).
        first = next(checked, None)
        timings.validate += elapsed(t)
        with session.begin():
            batch = _resumable(
                session, digest=digest, standard=spec.name, version=spec.version, system=system
            )
            if batch is None:
                batch = Batch(
                    id=str(uuid.uuid4()),
                    standard=spec.name,
                    standard_version=spec.version,
                    source_system=system,
                    source_name=source_name,
                    format=source.format,
                    checksum=digest,
                    status=RUNNING,
                    report={
                        **(report or {}),
                        "file_findings": file_findings(source),
                        # Then no key of this batch can be stored already: chunks are inserts.
                        "started_on_empty_store": is_empty(session=session, spec=spec),
                    },
                )
                session.add(batch)
            else:
                batch.status = RUNNING
        resumed_from = batch.chunks_done
        try:
            # The next chunks are read and validated in a thread while this one loads.
            ahead = with_bulk(
                checked,
                spec=spec,
                dialect=engine.dialect,
                batch_id=batch.id,
                system=system,
                first_to_load=resumed_from,
            )
            chunks = itertools.chain([first] if first is not None else [], prefetch(ahead))
            while True:
                t = time.perf_counter()
                chunk = next(chunks, None)
                timings.validate += elapsed(t)
                if chunk is None:
                    break
                if chunk.index >= batch.chunks_done:
                    t = time.perf_counter()
                    with session.begin():
                        session.add(batch)
                        store_chunk(
                            session=session, batch=batch, spec=spec, chunk=chunk, system=system
                        )
                    timings.load += elapsed(t)
                if progress is not None:
                    progress(chunk.read)
        except BaseException as exc:
            with session.begin():
                session.add(batch)
                batch.status = FAILED
                batch.report = {**(batch.report or {}), "error": str(exc)[:500]}
                _audit_batch(session, settings, who, batch, outcome=_outcome(exc))
            raise
        with session.begin():
            session.add(batch)
            total = elapsed(started)
            batch.status = COMPLETED
            batch.finished_at = utcnow()
            batch.report = {
                **(batch.report or {}),
                "resumed_from_chunk": resumed_from,
                "timings": {
                    "waiting_for_validation": round(timings.validate, 4),
                    "load": round(timings.load, 4),
                    "total": total,
                },
                "rows_per_s": round(batch.rows_read / total) if total else None,
            }
            _audit_batch(session, settings, who, batch, outcome="ok")
        return batch


def _outcome(error: BaseException) -> str:
    return error.code if isinstance(error, LienthongError) else "failed"


def _audit_batch(
    session: Session, settings: Settings, actor: dict[str, Any], batch: Batch, *, outcome: str
) -> None:
    """What was loaded, from where, by whom: counts and the input's checksum, no values."""
    session.flush()
    entry = event(
        "ingest.batch",
        actor=actor,
        outcome=outcome,
        dataset=batch.standard,
        detail={
            "batch": batch.id,
            "standard_version": batch.standard_version,
            "system": batch.source_system,
            "source": batch.source_name,
            "checksum": batch.checksum,
        },
        count=batch.rows_read,
        counts={
            "loaded": batch.rows_loaded,
            "quarantined": batch.rows_quarantined,
            "inserted": batch.inserted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
        },
    )
    record(session=session, settings=settings, entry=entry)


def get_batch(*, session: Session, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id!r}", code="unknown-batch")
    return batch


def list_batches(
    *,
    session: Session,
    standard: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[Batch], str | None]:
    stmt = select(Batch)
    if standard:
        stmt = stmt.where(Batch.standard == standard)
    if status:
        stmt = stmt.where(Batch.status == status)
    return keyset_page(session, stmt, keys=[Batch.id], limit=limit, cursor=cursor)


def list_quarantine(
    *,
    session: Session,
    batch_id: str,
    status: str | None = "open",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[QuarantineRow], str | None]:
    get_batch(session=session, batch_id=batch_id)
    stmt = select(QuarantineRow).where(QuarantineRow.batch_id == batch_id)
    if status:
        stmt = stmt.where(QuarantineRow.status == status)
    return keyset_page(session, stmt, keys=[QuarantineRow.id], limit=limit, cursor=cursor)
