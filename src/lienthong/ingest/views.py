"""Ingest routes: streamed upload (or check), batches and reports, quarantine and replay.

Uploading and replaying need the operator token (until systems sign in with their own
credentials); the upload body is the file itself, or multipart with the file and its mapping,
streamed to a temporary file (:mod:`lienthong.ingest.upload`). Batches and their quarantine
(people's rows as received) are shown to the operator and to the system that submitted the
batch, to nobody else.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from lienthong.db import transaction
from lienthong.errors import Forbidden
from lienthong.http.callers import Caller, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.http.permissions import organisations_for
from lienthong.ingest import check, replay, service
from lienthong.ingest.schemas import (
    BatchRead,
    BatchReport,
    IngestSummary,
    QuarantineRead,
    ReplayRequest,
)
from lienthong.ingest.upload import receive
from lienthong.paging import Page
from lienthong.registry.owners import find_owner
from lienthong.standards.service import get_standard

router = APIRouter()
QUARANTINED_HEADER = "X-Lienthong-Quarantined"
FileName = Annotated[str, Query(description="Original file name (its extension)")]
Format = Annotated[str | None, Query(description="csv, xlsx, jsonl or parquet")]
MappingDoc = Annotated[
    str | None,
    Query(
        description="A mapping document (JSON); send it as the multipart 'mapping' part instead",
        deprecated=True,
    ),
]
# The body: the file itself, or multipart with the file and its mapping.
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "mapping": {"type": "string", "description": "A mapping document (JSON)"},
                    },
                }
            },
        },
    }
}


def _check_standard(request: Request, name: str) -> None:
    with transaction(request.app.state.engine) as session:
        get_standard(session=session, name=name)


@router.post(
    "/ingest/{standard}/check",
    response_model=IngestSummary,
    tags=["ingest"],
    dependencies=[permit(P.ingest_upload)],
    openapi_extra=UPLOAD_BODY,
)
async def check_upload(
    request: Request,
    standard: str,
    filename: FileName = "upload",
    format: Format = None,
    encoding: str | None = None,
    mapping: MappingDoc = None,
) -> IngestSummary:
    """Check the request body (the file) against a standard; nothing is written."""
    await run_in_threadpool(_check_standard, request, standard)
    with tempfile.TemporaryDirectory(prefix="lienthong-check-") as tmp:
        got = await receive(request, Path(tmp), filename=filename, mapping=mapping)
        return await run_in_threadpool(
            lambda: check.check_file(
                engine=request.app.state.engine,
                request=check.CheckRequest(
                    path=got.path,
                    standard=standard,
                    mapping=got.mapping,
                    format=format,
                    encoding=encoding,
                    source_name=got.filename,
                ),
            )
        )


@router.post(
    "/ingest/{standard}",
    response_model=BatchReport,
    tags=["ingest"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.ingest_upload)],
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    request: Request,
    response: Response,
    standard: str,
    system: Annotated[str, Query(description="Source system as ORGANISATION/SYSTEM")],
    filename: FileName = "upload",
    format: Format = None,
    encoding: str | None = None,
    mapping: MappingDoc = None,
) -> BatchReport:
    """Ingest the request body (the file) into a standard; returns the batch report.

    201 whenever the batch completed, quarantined rows or not (clients rely on it): its
    ``outcome``, ``message`` and the ``X-Lienthong-Quarantined`` header say how many rows were
    quarantined."""
    await run_in_threadpool(_check_standard, request, standard)
    with tempfile.TemporaryDirectory(prefix="lienthong-upload-") as tmp:
        got = await receive(request, Path(tmp), filename=filename, mapping=mapping)
        batch = await run_in_threadpool(
            lambda: service.ingest_file(
                engine=request.app.state.engine,
                request=service.IngestRequest(
                    path=got.path,
                    standard=standard,
                    system=system,
                    mapping=got.mapping,
                    checksum=got.checksum,
                    format=format,
                    encoding=encoding,
                    source_name=got.filename,
                ),
                settings=request.app.state.settings,
            )
        )
    report = BatchReport.model_validate(batch)
    response.headers[QUARANTINED_HEADER] = str(report.rows_quarantined)
    return report


@router.get("/ingest/batches", response_model=Page[BatchRead], tags=["ingest"])
def list_batches(
    session: SessionDep,
    who: Annotated[Caller, permit(P.ingest_read)],
    paging: Paging,
    standard: str | None = None,
    status: str | None = None,
) -> Page[BatchRead]:
    """Every batch for the operator; a system's own batches for a system."""
    rows, nxt = service.list_batches(
        session=session,
        standard=standard,
        status=status,
        source_system=who.source_system,
        page=paging.for_caller(*who.identity),
    )
    return Page(items=[BatchRead.model_validate(b) for b in rows], next_cursor=nxt)


@router.get("/ingest/batches/{batch_id}", response_model=BatchReport, tags=["ingest"])
def get_batch(
    session: SessionDep, who: Annotated[Caller, permit(P.ingest_read)], batch_id: str
) -> BatchReport:
    """Status, counts, timings and the findings summary of a batch."""
    found = service.get_batch(session=session, batch_id=batch_id, source_system=who.source_system)
    return BatchReport.model_validate(found)


@router.get(
    "/ingest/batches/{batch_id}/quarantine", response_model=Page[QuarantineRead], tags=["ingest"]
)
def list_quarantine(
    session: SessionDep,
    who: Annotated[Caller, permit(P.ingest_read)],
    paging: Paging,
    batch_id: str,
    status: Annotated[str | None, Query(description="open (default), replayed or all")] = "open",
) -> Page[QuarantineRead]:
    rows, nxt = service.list_quarantine(
        session=session,
        batch_id=batch_id,
        status=None if status == "all" else status,
        source_system=who.source_system,
        page=paging.for_caller(*who.identity),
    )
    return Page(items=[QuarantineRead.model_validate(r) for r in rows], next_cursor=nxt)


@router.post(
    "/ingest/batches/{batch_id}/replay",
    response_model=BatchReport,
    tags=["ingest"],
)
def replay_batch(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.quarantine_fix)],
    batch_id: str,
    body: ReplayRequest,
) -> BatchReport:
    """Validate the open quarantined rows again, with corrections; load those that pass.

    A data steward fixes the quarantine of its organisation's datasets only."""
    stewards = None if who.person is None else organisations_for(who.person.roles, P.quarantine_fix)
    if stewards is not None:
        batch = service.get_batch(session=session, batch_id=batch_id)
        owner = find_owner(session=session, dataset=batch.standard)
        if owner is None or owner.organisation.code not in stewards:
            raise Forbidden(
                f"only a data steward of the owner of {batch.standard!r} fixes its quarantine",
                code="not-the-owner",
            )
    fixes = {fix.id: fix.values for fix in body.fixes}
    batch = replay.replay(
        session=session, settings=request.app.state.settings, batch_id=batch_id, fixes=fixes
    )
    return BatchReport.model_validate(batch)
