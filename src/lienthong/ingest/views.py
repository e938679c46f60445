"""Ingest routes: streamed upload (or check), batches and reports, quarantine and replay.

The platform operator uploads for any system, a data steward for its organisation's systems;
the upload body is the file itself, or multipart with the file and its mapping, streamed to a
temporary file (:mod:`lienthong.ingest.upload`). Batches and their quarantine (people's rows
as received) are shown to the system that submitted the batch, to the people of the
organisation that submitted it or owns its dataset, and to province-wide roles: to nobody
else. A data steward replays its organisation's quarantine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.errors import Forbidden
from lienthong.http.callers import Caller, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.ingest import check, rejected, replay, service
from lienthong.ingest.models import Batch
from lienthong.ingest.schemas import (
    BatchRead,
    BatchReport,
    IngestSummary,
    QuarantineRead,
    ReplayRequest,
)
from lienthong.ingest.upload import receive
from lienthong.paging import Page
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
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    request: Request,
    response: Response,
    who: Annotated[Caller, permit(P.ingest_upload)],
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
    quarantined.

    A data steward uploads for its own organisation's systems only."""
    stewards = who.organisations(P.ingest_upload)
    if stewards is not None and service.organisation_of(system) not in stewards:
        raise Forbidden(f"you do not steward the data of {system!r}", code="not-permitted")
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
    """A system's own batches; a person of an organisation those of its systems and of the
    datasets it owns; every batch for a province-wide role."""
    rows, nxt = service.list_batches(
        session=session,
        standard=standard,
        status=status,
        source_system=who.source_system,
        organisations=who.organisations(P.ingest_read),
        page=paging.for_caller(*who.identity),
    )
    return Page(items=[BatchRead.model_validate(b) for b in rows], next_cursor=nxt)


@router.get("/ingest/batches/{batch_id}", response_model=BatchReport, tags=["ingest"])
def get_batch(
    session: SessionDep, who: Annotated[Caller, permit(P.ingest_read)], batch_id: str
) -> BatchReport:
    """Status, counts, timings and the findings summary of a batch."""
    found = service.get_batch(
        session=session,
        batch_id=batch_id,
        source_system=who.source_system,
        organisations=who.organisations(P.ingest_read),
    )
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
        organisations=who.organisations(P.ingest_read),
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

    A data steward fixes its organisation's quarantine: of batches its systems submitted or
    of the datasets it owns (any other batch is unknown to it)."""
    service.get_batch(
        session=session, batch_id=batch_id, organisations=who.organisations(P.quarantine_fix)
    )
    fixes = {fix.id: fix.values for fix in body.fixes}
    batch = replay.replay(
        session=session, settings=request.app.state.settings, batch_id=batch_id, fixes=fixes
    )
    return BatchReport.model_validate(batch)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rejected_download(
    *, session: Session, settings: Settings, batch: Batch, actor: dict[str, Any]
) -> Response:
    """The batch's open quarantine as the clerk's workbook, a comment on each bad cell."""
    body, _ = rejected.rejected_workbook(
        session=session, settings=settings, batch=batch, actor=actor
    )
    disposition = f'attachment; filename="rejected-{batch.id}.xlsx"'
    return Response(body, media_type=XLSX, headers={"content-disposition": disposition})


@router.get(
    "/ingest/batches/{batch_id}/rejected.xlsx",
    tags=["ingest"],
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The rejected rows as XLSX"}},
)
def rejected_xlsx(
    request: Request,
    session: SessionDep,
    who: Annotated[Caller, permit(P.ingest_read)],
    batch_id: str,
) -> Response:
    """The batch's open quarantined rows as an Excel workbook: the file's own column headers,
    the values as received, a comment in Vietnamese on each bad cell; fixed in Excel, its
    changed cells are the corrections of a replay. Scoped as the quarantine; audited as
    ``ingest.rejected-export``."""
    batch = service.get_batch(
        session=session,
        batch_id=batch_id,
        source_system=who.source_system,
        organisations=who.organisations(P.ingest_read),
    )
    return rejected_download(
        session=session, settings=request.app.state.settings, batch=batch, actor=who.actor()
    )
