"""The clerk's batches: the list (by state and system), a batch's page with its progress and
open quarantine, the rejected rows as a workbook to fix in Excel, the fixed workbook sent back
and replayed, and a value fixed in place and replayed.

Scoped as the API's ``GET /api/v1/ingest/batches…`` (``ingest.read``: the batches of the
person's organisation's systems and of the datasets it owns, every batch for the province's
roles); replays as ``POST /api/v1/ingest/batches/{id}/replay`` (``quarantine.fix``), through
the same replay service, audited with the person as actor."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from lienthong.console.access import Page, Viewer, check_pages, form_checked
from lienthong.console.i18n import chosen
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, finish, render
from lienthong.console.upload import received
from lienthong.db import transaction
from lienthong.errors import ValidationFailed
from lienthong.http.permissions import Permission as P
from lienthong.ingest import rejected, replay, service
from lienthong.ingest.replay import Fixes
from lienthong.ingest.schemas import BatchRead, BatchReport
from lienthong.ingest.views import rejected_download
from lienthong.paging import DEFAULT_LIMIT, PageRequest

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Reader = Annotated[Viewer, Depends(Page(P.ingest_read))]
Fixer = Annotated[Viewer, Depends(Page(P.quarantine_fix))]
Form = Annotated[dict[str, str], Depends(form_checked)]
Cursor = Annotated[str | None, Query(max_length=2048)]
BatchId = Annotated[str, Path(max_length=64)]
Choice = Annotated[str | None, Query(max_length=160)]
STATES = ("running", "completed", "failed")
POLL_SECONDS = 2


@router.get("/upload/batches")
def batches_page(
    request: Request,
    viewer: Reader,
    state: Choice = None,
    system: Choice = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """The batches the person may see, filtered by state and system, as the API lists them."""
    page = PageRequest(
        seal=request.app.state.cursors, limit=DEFAULT_LIMIT, cursor=cursor
    ).for_caller("person", viewer.person.id)
    with request.app.state.sessions() as session:
        rows, nxt = service.list_batches(
            session=session,
            status=state or None,
            source_system=system or None,
            organisations=viewer.organisations(P.ingest_read),
            page=page,
        )
        found = [BatchRead.model_validate(b) for b in rows]
    return render(
        request,
        "upload_batches.html",
        viewer=viewer,
        batches=found,
        states=STATES,
        state=state or "",
        system=system or "",
        next_cursor=nxt,
    )


def _batch(request: Request, viewer: Viewer, batch_id: str) -> BatchReport:
    with request.app.state.sessions() as session:
        return BatchReport.model_validate(
            service.get_batch(
                session=session,
                batch_id=batch_id,
                organisations=viewer.organisations(P.ingest_read),
            )
        )


def batch_view(
    request: Request,
    viewer: Viewer,
    batch_id: str,
    *,
    cursor: str | None = None,
    replayed: BatchReport | None = None,
    status: int = 200,
) -> HTMLResponse:
    seen = viewer.organisations(P.ingest_read)
    page = PageRequest(
        seal=request.app.state.cursors, limit=DEFAULT_LIMIT, cursor=cursor
    ).for_caller("person", viewer.person.id)
    with request.app.state.sessions() as session:
        batch = BatchReport.model_validate(
            service.get_batch(session=session, batch_id=batch_id, organisations=seen)
        )
        rows, nxt = service.list_quarantine(
            session=session, batch_id=batch_id, organisations=seen, page=page
        )
        found = service.get_batch(session=session, batch_id=batch_id)
        headers = rejected.headers_of(found)
        entries = [_entry(r.id, r.row, r.values, r.findings, headers) for r in rows]
        may_fix = viewer.may(P.quarantine_fix) and service.seen_by(
            session, found, viewer.organisations(P.quarantine_fix)
        )
    return render(
        request,
        "upload_batch.html",
        viewer=viewer,
        batch=batch,
        entries=entries,
        next_cursor=nxt,
        replayed=replayed,
        may_fix=may_fix,
        poll=POLL_SECONDS,
        english=chosen(request) != "vi",
        status=status,
    )


@router.get("/upload/batches/{batch_id}")
def batch_page(
    request: Request, viewer: Reader, batch_id: BatchId, cursor: Cursor = None
) -> HTMLResponse:
    """A batch, its progress and its open quarantine, scoped as ``GET /api/v1/ingest/batches/
    {id}/quarantine`` (``ingest.read``: the submitting or owning organisation, the province)."""
    return batch_view(request, viewer, batch_id, cursor=cursor)


@router.get("/upload/batches/{batch_id}/progress")
def batch_progress(request: Request, viewer: Reader, batch_id: BatchId) -> HTMLResponse:
    """The batch's state and rows done (a bar: of the rows its file holds when known, else
    indeterminate): the part of its page that htmx polls while it runs; once it has ended,
    the part links to its result, and htmx is told to load the whole page again
    (``HX-Refresh``), so that the quarantine below the bar is the ended batch's, not the
    running one's "shows here once the batch has ended"."""
    batch = _batch(request, viewer, batch_id)
    answer = render(
        request, "upload_progress.html", viewer=viewer, batch=batch, poll=POLL_SECONDS, polled=True
    )
    if batch.status != "running" and request.headers.get("HX-Request") == "true":
        answer.headers["HX-Refresh"] = "true"
    return answer


@router.get("/upload/batches/{batch_id}/rejected.xlsx")
def batch_rejected(request: Request, viewer: Reader, batch_id: BatchId) -> Response:
    """The open quarantine as the clerk's workbook (the API's ``rejected.xlsx``)."""
    with request.app.state.sessions() as session, session.begin():
        batch = service.get_batch(
            session=session, batch_id=batch_id, organisations=viewer.organisations(P.ingest_read)
        )
        response = rejected_download(
            session=session,
            settings=request.app.state.settings,
            batch=batch,
            actor=viewer.person.actor(),
        )
    finish(request, response)
    return response


def _replayed(request: Request, viewer: Viewer, batch_id: str, fixes: Fixes) -> BatchReport:
    """The replay of the API, for a batch the person fixes (``quarantine.fix``), audited with
    the person as actor."""
    with transaction(request.app.state.engine) as session:
        service.get_batch(
            session=session, batch_id=batch_id, organisations=viewer.organisations(P.quarantine_fix)
        )
        done = replay.replay(
            session=session,
            settings=request.app.state.settings,
            batch_id=batch_id,
            fixes=fixes,
            actor=viewer.person.actor(),
        )
        return BatchReport.model_validate(done)


def _fixes_from(request: Request, viewer: Viewer, batch_id: str, path: FilePath) -> Fixes:
    with request.app.state.sessions() as session:
        batch = service.get_batch(
            session=session, batch_id=batch_id, organisations=viewer.organisations(P.quarantine_fix)
        )
        return rejected.fixes_from_workbook(session=session, batch=batch, path=path)


@router.post("/upload/batches/{batch_id}/rejected")
async def batch_reupload(
    request: Request, viewer: Fixer, form: Form, batch_id: BatchId
) -> HTMLResponse:
    """The rejected rows' workbook, fixed in Excel and sent back: its changed cells replayed."""
    with tempfile.TemporaryDirectory(prefix="lienthong-console-rejected-") as tmp:
        got = await received(request, FilePath(tmp), "")
        if got.path.suffix.lower() != ".xlsx":
            raise ValidationFailed.on(
                "file", rejected.NOT_OURS, "gửi lại tệp .xlsx đã tải về / send back the .xlsx"
            )
        fixes = await run_in_threadpool(_fixes_from, request, viewer, batch_id, got.path)
    done = await run_in_threadpool(_replayed, request, viewer, batch_id, fixes)
    return batch_view(request, viewer, batch_id, replayed=done)


@router.post("/upload/batches/{batch_id}/fix")
def batch_fix(request: Request, viewer: Fixer, form: Form, batch_id: BatchId) -> HTMLResponse:
    """One value of a quarantined row corrected in place, then the batch's quarantine replayed."""
    entry, field = form.get("entry", ""), form.get("field", "")
    if not entry.isdigit() or not field:
        raise ValidationFailed.on("entry", "missing-value", "choose a quarantined value to fix")
    value = form.get("value")
    fixes = {int(entry): {field: value if value else None}}
    done = _replayed(request, viewer, batch_id, fixes)
    return batch_view(request, viewer, batch_id, replayed=done)


def _entry(
    qid: int,
    row: int,
    values: dict[str, Any],
    findings: list[dict[str, Any]],
    headers: dict[str, str],
) -> dict[str, Any]:
    """A rejected row: each finding with the value its field held, and the field that can be
    fixed in place (a finding about one field the row holds)."""
    problems = []
    for f in findings:
        name = f.get("field") or ""
        fixable = name in headers and "," not in name
        problems.append(f | {"value": values.get(name), "fixable": fixable})
    return {"id": qid, "row": row, "problems": problems}


check_pages(router, ())  # deny by default, checked on import
