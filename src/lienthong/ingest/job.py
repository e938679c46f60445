"""An ingest job: one source run into one standard as one batch — open, load, then finish or fail.

The phases are services over the caller's session. :func:`run_source` drives them for a file or
a pull: it holds the input's claim and owns one transaction per chunk, so a run killed at any
point leaves whole chunks and the same input run again resumes. A replay drives the same phases
inside its caller's one transaction (:mod:`lienthong.ingest.replay`).
"""

from __future__ import annotations

import contextlib
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Dialect, Engine, select
from sqlalchemy.orm import Session

from lienthong.audit.service import audit_keys, operator_actor, record
from lienthong.audit.turns import audit_waiting, bulk_turn
from lienthong.backends import backend_for
from lienthong.config import Settings
from lienthong.db import session_factory, utcnow
from lienthong.errors import BadRequest, LienthongError, NotFound
from lienthong.events import event
from lienthong.ingest.claim import claim
from lienthong.ingest.located import Placed
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.models import Batch
from lienthong.ingest.pipeline import (
    Chunk,
    Progress,
    Quarantine,
    Timings,
    elapsed,
    file_findings,
    insert_quarantine,
    parts_done,
    prefetch,
    store_chunk,
    with_bulk,
)
from lienthong.ingest.plan import IngestPlan, prepare
from lienthong.ingest.sources import Source
from lienthong.registry.systems import get_system
from lienthong.store.service import is_empty

RUNNING, COMPLETED, FAILED = "running", "completed", "failed"


@dataclass(kw_only=True)
class Run:
    """A batch being run: what it reads against, its checked chunks, where rejected rows go."""

    batch: Batch
    plan: IngestPlan
    source: Source
    chunks: Iterator[Chunk]
    quarantine: Quarantine
    started: float  # perf_counter() when the job began
    detail: dict[str, Any] = field(default_factory=dict)  # more for the audit entry
    timings: Timings = field(default_factory=Timings)


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


def _resumable(session: Session, *, digest: str, plan: IngestPlan, system: str) -> Batch | None:
    stmt = select(Batch).where(
        Batch.checksum == digest,
        Batch.standard == plan.spec.name,
        Batch.standard_version == plan.spec.version,
        Batch.source_system == system,
        Batch.status.in_((RUNNING, FAILED)),
        Batch.replay_of.is_(None),
    )
    return session.scalars(stmt.order_by(Batch.started_at.desc())).first()


def open_batch(
    *,
    session: Session,
    plan: IngestPlan,
    source: Source,
    chunks: Iterator[Chunk],
    system: str,
    digest: str,
    source_name: str,
    started: float,
    quarantine: Quarantine = insert_quarantine,
    replay_of: str | None = None,
    since: str | None = None,
    watermark: str | None = None,
    detail: dict[str, Any] | None = None,
    part_rows: int | None = None,
) -> Run:
    """The batch of this input: the unfinished one with the same digest, standard and system
    taken up again, else a new one. A driver calls it once the first chunk has passed its
    checks, so that an input that cannot be read writes nothing. ``part_rows``: a new batch
    writes its chunks in parts of at most that many valid rows (kept in its report, so that a
    resumed run splits them alike)."""
    spec = plan.spec
    batch = None if replay_of else _resumable(session, digest=digest, plan=plan, system=system)
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
            replay_of=replay_of,
            since=since,
            watermark=watermark,
            report={
                "encoding": source.encoding,
                "file_findings": file_findings(source),
                "source_columns": Placed(0, source.headers).columns(
                    plan.mapping_for(source).headers(source.columns)
                ),
                # What the rows meant: an evaluation reads the file again as it was loaded.
                "mapping": plan.mapping.model_dump() if plan.mapping else None,
                "part_rows": part_rows,
            },
            started_on_empty_store=is_empty(session=session, spec=spec),
            sheet_row_offset=source.sheet_row_offset,
        )
        session.add(batch)
    batch.status = RUNNING
    batch.error = None  # a failed batch taken up again
    batch.report = {
        **{k: v for k, v in (batch.report or {}).items() if k != "error_code"},
        "rows_total": source.rows,
    }
    batch.resumed_from_chunk = batch.chunks_done
    session.flush()
    return Run(
        batch=batch,
        plan=plan,
        source=source,
        chunks=chunks,
        quarantine=quarantine,
        started=started,
        detail=detail or {},
    )


def load(
    *,
    session: Session,
    run: Run,
    transaction: Callable[[], AbstractContextManager[object]],
    dialect: Dialect,
    progress: Progress | None = None,
    readers_wait: Callable[[], bool] = lambda: False,
) -> None:
    """Load the chunks the batch has not done yet, each with its quarantine and the batch's
    progress in one ``transaction()``. Chunks done already are still read and checked: their
    keys are what the ``duplicate-key`` rule needs.

    A chunk split in parts (``Backend.part_rows``) is stored in as few transactions as
    possible: the transaction ends after a part only when ``readers_wait()`` (an audit writer
    waits for the database's one write lock, audit.turns), so a read waits for one part at
    most while a file loads, and a file loaded while nobody reads commits once a chunk."""
    batch, spec = run.batch, run.plan.spec
    # The next chunks are read, checked and put in bulk form in a thread while this one loads.
    chunks = prefetch(
        with_bulk(
            run.chunks,
            spec=spec,
            dialect=dialect,
            batch_id=batch.id,
            system=batch.source_system,
            first_to_load=batch.chunks_done,
            part_rows=(batch.report or {}).get("part_rows"),
        )
    )
    while True:
        t = time.perf_counter()
        chunk = next(chunks, None)
        run.timings.validate += elapsed(t)
        if chunk is None:
            return
        if chunk.index >= batch.chunks_done:
            t = time.perf_counter()
            parts = iter(range(parts_done(batch, chunk), max(1, len(chunk.parts))))
            part = next(parts, None)
            while part is not None:
                with transaction():
                    session.add(batch)
                    while part is not None:
                        store_chunk(
                            session=session,
                            batch=batch,
                            spec=spec,
                            chunk=chunk,
                            quarantine=run.quarantine,
                            part=part,
                        )
                        part = next(parts, None)
                        if part is not None and readers_wait():
                            break
            run.timings.load += elapsed(t)
        if progress is not None:
            progress(chunk.read)


def finish(*, session: Session, settings: Settings, actor: dict[str, Any], run: Run) -> Batch:
    """Complete the batch: its timings, the watermark a pull reached, and the audit entry."""
    batch = run.batch
    seconds = elapsed(run.started)
    batch.status = COMPLETED
    batch.finished_at = utcnow()
    batch.watermark_max = run.source.watermark_max or batch.since
    batch.report = {
        **(batch.report or {}),
        "seconds": seconds,
        "rows_per_s": round(batch.rows_read / seconds) if seconds else None,
        "timings": {
            "waiting_for_validation": round(run.timings.validate, 4),
            "load": round(run.timings.load, 4),
        },
    }
    _audit(session, settings, actor, batch, run.detail, outcome="ok")
    return batch


def fail(
    *, session: Session, settings: Settings, actor: dict[str, Any], run: Run, error: BaseException
) -> None:
    """Mark the batch failed (running the same input again resumes it), audited as such."""
    mark_failed(
        session=session,
        settings=settings,
        actor=actor,
        batch=run.batch,
        error=error,
        detail=run.detail,
    )


def mark_failed(
    *,
    session: Session,
    settings: Settings,
    actor: dict[str, Any],
    batch: Batch,
    error: BaseException,
    detail: dict[str, Any] | None = None,
) -> None:
    """:func:`fail` for a batch whose run is gone (interrupted): its error and the error's code
    kept (``report.error_code``: ``failed`` for an unexpected one), audited as such."""
    session.add(batch)
    outcome = error.code if isinstance(error, LienthongError) else "failed"
    batch.status = FAILED
    batch.error = str(error)[:500]
    batch.report = {**(batch.report or {}), "error_code": outcome}
    _audit(session, settings, actor, batch, detail or {}, outcome=outcome)


def _audit(
    session: Session,
    settings: Settings,
    actor: dict[str, Any],
    batch: Batch,
    more: dict[str, Any],
    *,
    outcome: str,
) -> None:
    """What was loaded, from where, by whom: counts and the input's checksum, no values."""
    session.flush()
    detail: dict[str, Any]
    counts = {"loaded": batch.rows_loaded, "quarantined": batch.rows_quarantined}
    if batch.replay_of is not None:
        action = "ingest.replay"
        detail = {"batch": batch.id, "replay_of": batch.replay_of}
    else:
        action = "ingest.batch"
        detail = {
            "batch": batch.id,
            "standard_version": batch.standard_version,
            "system": batch.source_system,
            "source": batch.source_name,
            "checksum": batch.checksum,
        }
        counts |= {
            "inserted": batch.inserted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
        }
    entry = event(
        action,
        actor=actor,
        outcome=outcome,
        dataset=batch.standard,
        detail=detail | more,
        count=batch.rows_read,
        counts=counts,
    )
    record(session=session, settings=settings, entry=entry)


def run_source(*, progress: Progress | None = None, **given: Any) -> Batch:
    """Run any source into a standard as a resumable batch, one transaction per chunk: the
    batch opened by :func:`open_source` (``given``: its arguments), then loaded."""
    return open_source(**given).complete(progress)


@dataclass(kw_only=True)
class Opened:
    """A batch opened and committed, its input's claim held, its chunks still to load.
    :meth:`complete` (or :meth:`abandon`) ends it and lets the claim and the session go: a
    caller may open the batch in one thread and complete it in another."""

    run: Run
    session: Session
    held: contextlib.ExitStack  # the claim and the session
    transaction: Callable[[], AbstractContextManager[object]]
    dialect: Dialect
    settings: Settings
    actor: dict[str, Any]
    readers_wait: Callable[[], bool] = lambda: False

    @property
    def batch_id(self) -> str:
        return self.run.batch.id

    def complete(self, progress: Progress | None = None) -> Batch:
        """Load the chunks, then finish the batch, or fail it (audited) and raise."""
        run, session = self.run, self.session
        with self.held:
            try:
                load(
                    session=session,
                    run=run,
                    transaction=self.transaction,
                    dialect=self.dialect,
                    progress=progress,
                    readers_wait=self.readers_wait,
                )
            except BaseException as exc:
                with self.transaction():
                    fail(
                        session=session,
                        settings=self.settings,
                        actor=self.actor,
                        run=run,
                        error=exc,
                    )
                raise
            with self.transaction():
                return finish(session=session, settings=self.settings, actor=self.actor, run=run)

    def abandon(self, error: BaseException) -> None:
        """Fail the batch without loading it (its run will not happen), audited."""
        with self.held, self.transaction():
            fail(
                session=self.session,
                settings=self.settings,
                actor=self.actor,
                run=self.run,
                error=error,
            )


def open_source(
    *,
    engine: Engine,
    opener: Callable[[], Source],
    standard: str,
    system: str,
    mapping: Mapping | None,
    digest: str,
    source_name: str,
    settings: Settings,
    today: date | None = None,
    since: str | None = None,
    watermark: str | None = None,
    actor: dict[str, Any] | None = None,
) -> Opened:
    """Open the batch of a source (after its first chunk passed its checks) and commit it,
    holding the input's claim. ``actor``: who asked, for the audit entry (the API's operator
    unless given)."""
    audit_keys(settings)  # no keys, no ingest: fail before anything is written
    yields = settings.ingest_yields_to_audit
    who = actor if actor is not None else operator_actor()
    started = time.perf_counter()
    held = contextlib.ExitStack()  # closed here if the batch cannot be opened
    try:
        session = held.enter_context(session_factory(engine)())
        with session.begin():
            plan = prepare(session=session, standard=standard, mapping=mapping, today=today)
            system = resolve_system(session=session, system=system)
        # One run per input at a time (a double-clicked upload): the other gets 409.
        spec = plan.spec
        held.enter_context(claim(engine, claim_key(digest, spec.name, spec.version, system)))
        source = opener()
        t = time.perf_counter()
        checked = plan.check(source)
        first = next(checked, None)  # no-matching-columns, …: said before anything is written
        waited = elapsed(t)
        with session.begin():
            run = open_batch(
                session=session,
                plan=plan,
                source=source,
                chunks=itertools.chain([first] if first is not None else [], checked),
                system=system,
                digest=digest,
                source_name=source_name,
                started=started,
                since=since,
                watermark=watermark,
                part_rows=backend_for(engine).part_rows if yields else None,
            )
        run.timings.validate += waited
        return Opened(
            run=run,
            session=session,
            held=held,
            transaction=_writes(engine, session, settings),
            dialect=engine.dialect,
            settings=settings,
            actor=who,
            readers_wait=(lambda: audit_waiting(engine)) if yields else (lambda: False),
        )
    except BaseException:
        held.close()
        raise


def claim_key(digest: str, standard: str, version: int, system: str) -> str:
    """The claim a run of an input holds: one run per input, standard version and system."""
    return f"{digest}|{standard}|{version}|{system}"


def _writes(
    engine: Engine, session: Session, settings: Settings
) -> Callable[[], AbstractContextManager[object]]:
    """The job's write transactions: each after the audit writers waiting for their turn, so
    that reads, which wait for their audit entry, wait for one transaction at most
    (audit.turns); ``load`` ends a transaction after the part when one waits."""
    if not settings.ingest_yields_to_audit:
        return session.begin

    @contextlib.contextmanager
    def turn_then_begin() -> Iterator[object]:
        with bulk_turn(engine), session.begin() as transaction:
            yield transaction

    return turn_then_begin
