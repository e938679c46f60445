"""Ingest batches: run a file into a standard's table (resumable), list batches and quarantine.

``ingest_file`` is a job (:mod:`lienthong.ingest.job`): it owns its transactions (one per
chunk), so it takes the engine; ``open_file`` is its first part (the batch opened), for a
caller that loads it in another thread.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.errors import NotFound
from lienthong.ingest.check import CheckRequest
from lienthong.ingest.job import Opened, open_source
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.pipeline import Progress
from lienthong.ingest.sources import require_file
from lienthong.paging import PageRequest, keyset_page
from lienthong.registry.owners import find_owner, owned_by


@dataclass(frozen=True, kw_only=True)
class IngestRequest(CheckRequest):
    system: str  # "ORG/SYSTEM"
    checksum: str | None = None  # the input's, when whoever received it hashed it already


class InputDigest:
    """SHA-256 of an input: the file's bytes, then the mapping's document (which changes what
    the input means). An upload feeds it the body while it streams to disk."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def update(self, block: bytes) -> None:
        self._hash.update(block)

    def result(self, mapping: Mapping | None) -> str:
        final = self._hash.copy()
        if mapping is not None:
            final.update(mapping.document)
        return "sha256:" + final.hexdigest()


def checksum(path: Path, mapping: Mapping | None = None) -> str:
    """The :class:`InputDigest` of a file read from disk."""
    digest = InputDigest()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.result(mapping)


def open_file(
    *,
    engine: Engine,
    request: IngestRequest,
    settings: Settings,
    actor: dict[str, Any] | None = None,
) -> Opened:
    """Open the batch of one file (a new one, or the interrupted one resumed) once its first
    chunk passed its checks; :meth:`Opened.complete` loads it. ``actor``: who asked, for the
    audit entry (the API's operator unless given)."""
    require_file(request.path, request.name)  # before its checksum is read
    mapping = request.read_mapping()
    return open_source(
        engine=engine,
        opener=request.open,
        standard=request.standard,
        system=request.system,
        mapping=mapping,
        digest=request.checksum or checksum(request.path, mapping),
        source_name=request.name,
        today=request.today,
        settings=settings,
        actor=actor,
    )


def ingest_file(
    *,
    engine: Engine,
    request: IngestRequest,
    settings: Settings,
    actor: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Batch:
    """Validate and load one file; returns the finished batch (resumed if interrupted)."""
    opened = open_file(engine=engine, request=request, settings=settings, actor=actor)
    return opened.complete(progress)


def get_batch(
    *,
    session: Session,
    batch_id: str,
    source_system: str | None = None,
    organisations: frozenset[str] | None = None,
) -> Batch:
    """The batch; with ``source_system``, only if that system submitted it, with
    ``organisations`` only if one of them sees it (:func:`seen_by`); else the same 404 as a
    missing batch: nobody learns of others' batches."""
    batch = session.get(Batch, batch_id)
    if (
        batch is None
        or source_system not in (None, batch.source_system)
        or not seen_by(session, batch, organisations)
    ):
        raise NotFound(f"no batch {batch_id!r}", code="unknown-batch")
    return batch


def organisation_of(source_system: str) -> str:
    """The organisation of an ``ORGANISATION/SYSTEM``."""
    return source_system.split("/", 1)[0]


def seen_by(session: Session, batch: Batch, organisations: frozenset[str] | None) -> bool:
    """Whether a batch (and its quarantine) is one of these organisations': one of their
    systems submitted it, or they own its dataset (None: the province sees every batch)."""
    if organisations is None or organisation_of(batch.source_system) in organisations:
        return True
    owner = find_owner(session=session, dataset=batch.standard)
    return owner is not None and owner.organisation.code in organisations


def list_batches(
    *,
    session: Session,
    standard: str | None = None,
    status: str | None = None,
    source_system: str | None = None,
    organisations: frozenset[str] | None = None,
    page: PageRequest,
) -> tuple[list[Batch], str | None]:
    """Batches, oldest id first; ``source_system`` (``ORG/SYSTEM``) keeps that system's,
    ``organisations`` those of their systems and of the datasets they own."""
    stmt = select(Batch)
    if standard:
        stmt = stmt.where(Batch.standard == standard)
    if status:
        stmt = stmt.where(Batch.status == status)
    if source_system is not None:
        stmt = stmt.where(Batch.source_system == source_system)
    if organisations is not None:
        theirs = [
            Batch.source_system.startswith(f"{code}/", autoescape=True)
            for code in sorted(organisations)
        ]
        stmt = stmt.where(or_(Batch.standard.in_(owned_by(organisations)), *theirs))
    seen = None if organisations is None else sorted(organisations)
    scope = ("ingest.batches", standard, status, source_system, seen)
    return keyset_page(session, stmt, keys=[Batch.id], page=page, scope=scope)


def list_quarantine(
    *,
    session: Session,
    batch_id: str,
    status: str | None = "open",
    source_system: str | None = None,
    organisations: frozenset[str] | None = None,
    page: PageRequest,
) -> tuple[list[QuarantineRow], str | None]:
    get_batch(
        session=session,
        batch_id=batch_id,
        source_system=source_system,
        organisations=organisations,
    )
    stmt = select(QuarantineRow).where(QuarantineRow.batch_id == batch_id)
    if status:
        stmt = stmt.where(QuarantineRow.status == status)
    scope = ("ingest.quarantine", batch_id, status)
    return keyset_page(session, stmt, keys=[QuarantineRow.id], page=page, scope=scope)
