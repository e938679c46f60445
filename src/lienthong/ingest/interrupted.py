"""Batches whose run stopped half-way: the server stopping during a background ingest, or a
run killed outright.

A run holds its input's claim from before its batch opens until the batch ends, and the claim
dies with its holder (:mod:`lienthong.ingest.claim`). So a batch still ``running`` whose claim
nobody holds has no run any more: it is marked failed, as a failed run marks it, and running
the same input again resumes it from its last whole chunk."""

from __future__ import annotations

from sqlalchemy import Engine, select

from lienthong.audit.service import operator_actor
from lienthong.config import Settings
from lienthong.db import session_factory
from lienthong.errors import LienthongError
from lienthong.ingest.claim import BatchInProgress, claim
from lienthong.ingest.job import RUNNING, claim_key, mark_failed
from lienthong.ingest.models import Batch


class IngestInterrupted(LienthongError):
    """The run of a batch stopped before its end (the server stopped, or the run was killed);
    nothing of its unfinished chunk is written."""

    code = "ingest-interrupted"
    status = 503


STOPPED = "the server stopped during the ingest; send the same file again to resume it"
GONE = "the ingest stopped before its end (its run is gone); send the same file again to resume it"


def fail_interrupted(*, engine: Engine, settings: Settings) -> list[str]:
    """Mark failed (``ingest-interrupted``) every running batch whose claim nobody holds,
    each under its claim and audited with the platform as actor; the ids of those marked."""
    ended: list[str] = []
    with session_factory(engine)() as session:
        with session.begin():
            stmt = select(Batch.id, Batch.checksum, Batch.standard, Batch.standard_version,
                          Batch.source_system).where(Batch.status == RUNNING)  # fmt: skip
            found = session.execute(stmt).all()
        for batch_id, digest, standard, version, system in found:
            try:
                key = claim_key(digest, standard, version, system)
                with claim(engine, key), session.begin():
                    batch = session.get(Batch, batch_id, populate_existing=True)
                    if batch is None or batch.status != RUNNING:
                        continue  # ended between the two reads
                    mark_failed(
                        session=session,
                        settings=settings,
                        actor=operator_actor(),
                        batch=batch,
                        error=IngestInterrupted(GONE),
                    )
            except BatchInProgress:
                continue  # its run is alive (another process, the command line)
            ended.append(batch_id)
    return ended
