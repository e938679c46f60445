"""The clerk's upload page: pick a standard and one of the organisation's systems, send a
CSV or XLSX file, check it (nothing written: the answer waits for the check) or ingest it (the
answer is the batch's page at once, its rows loaded in the background,
:mod:`lienthong.ingest.background`); then the batch's quarantine, each rejected row with its
offending value and the problem in the person's language.

The check and the ingest are the API's (``POST /api/v1/ingest/{standard}/check`` and
``POST /api/v1/ingest/{standard}``): the same permission, the same steward scope, the same
services, the same size limit; the ingest is audited with the person as its actor."""

from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lienthong.console.access import Page, Viewer, check_pages, form_checked
from lienthong.console.i18n import chosen
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, finish, render
from lienthong.db import transaction
from lienthong.errors import Forbidden, ValidationFailed
from lienthong.http.permissions import Permission as P
from lienthong.ingest import check, service
from lienthong.ingest.schemas import IngestSummary
from lienthong.ingest.upload import FILE, Received, Upload
from lienthong.paging import PageRequest
from lienthong.registry import systems
from lienthong.standards.service import get_standard, list_standards

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Uploader = Annotated[Viewer, Depends(Page(P.ingest_upload))]
Form = Annotated[dict[str, str], Depends(form_checked)]
UPLOAD = f"{PREFIX}/upload"
CHOICES = 200  # standards and systems offered in the form
BLOCK = 1 << 20


def _choices(request: Request, viewer: Viewer) -> tuple[list[str], list[str]]:
    """The published standards' names, and the systems this person uploads for
    (``ORGANISATION/SYSTEM``: their organisation's, every one for the province's roles)."""
    seal = request.app.state.cursors
    with request.app.state.sessions() as session:
        found, _ = list_standards(
            session=session,
            status="published",
            page=PageRequest(seal=seal, limit=CHOICES).for_caller("person", viewer.person.id),
        )
        run, _ = systems.list_all_systems(
            session=session,
            organisations=viewer.organisations(P.ingest_upload),
            page=PageRequest(seal=seal, limit=CHOICES).for_caller("person", viewer.person.id),
        )
        names = sorted({s.name for s in found})
        return names, [f"{s.organisation.code}/{s.code}" for s in run]


def _form_page(
    request: Request,
    viewer: Viewer,
    *,
    chosen_standard: str = "",
    chosen_system: str = "",
    mapping: str = "",
    checked: IngestSummary | None = None,
) -> HTMLResponse:
    standards, run = _choices(request, viewer)
    return render(
        request,
        "upload_form.html",
        viewer=viewer,
        standards=standards,
        systems=run,
        chosen_standard=chosen_standard,
        chosen_system=chosen_system,
        mapping=mapping,
        checked=checked,
        english=chosen(request) != "vi",
        limit_mb=request.app.state.settings.max_upload_bytes // (1 << 20),
    )


@router.get("/upload")
def upload_page(request: Request, viewer: Uploader) -> HTMLResponse:
    """The form, as ``POST /api/v1/ingest/{standard}`` permits it (``ingest.upload``)."""
    return _form_page(request, viewer)


async def received(request: Request, folder: FilePath, mapping: str) -> Received:
    """The posted file copied into ``folder`` block by block and hashed on the way, as the
    API's upload receives it, with its mapping."""
    form = await request.form()  # parsed (and its file spooled) by the CSRF check already
    part = form.get(FILE)
    if not isinstance(part, UploadFile) or not part.filename:
        raise ValidationFailed.on(FILE, "missing-file", "choose a file to send")
    upload = Upload(folder=folder, filename="upload")
    if mapping.strip():
        upload.take_mapping(mapping.encode("utf-8"))
    with upload.open_file(part.filename) as out:
        while block := await part.read(BLOCK):
            upload.digest.update(block)
            out.write(block)
    assert upload.path is not None  # opened above
    return Received(
        path=upload.path,
        filename=upload.filename,
        mapping=upload.mapping,
        checksum=upload.digest.result(upload.mapping),
    )


def _check_standard(request: Request, name: str) -> None:
    with transaction(request.app.state.engine) as session:
        get_standard(session=session, name=name)


@router.post("/upload", response_model=None)
async def upload_sent(
    request: Request, viewer: Uploader, form: Form
) -> HTMLResponse | RedirectResponse:
    """ "Check only" runs the API's check (nothing written) and shows it; "Ingest" opens the
    API's batch for one of the person's organisation's systems (audited with the person as
    actor), leaves its loading to the background and answers with the batch's page."""
    standard = form.get("standard", "").strip()
    system = form.get("system", "").strip()
    mapping = form.get("mapping", "")
    if not standard:
        raise ValidationFailed.on("standard", "missing-value", "choose a standard")
    if form.get("action") == "ingest":
        return await _ingest(request, viewer, standard=standard, system=system, mapping=mapping)
    await run_in_threadpool(_check_standard, request, standard)
    engine = request.app.state.engine
    with tempfile.TemporaryDirectory(prefix="lienthong-console-upload-") as tmp:
        got = await received(request, FilePath(tmp), mapping)
        summary = await run_in_threadpool(
            lambda: check.check_file(
                engine=engine,
                request=check.CheckRequest(
                    path=got.path, standard=standard, mapping=got.mapping,
                    source_name=got.filename,
                ),
            )
        )  # fmt: skip
    return _form_page(
        request,
        viewer,
        chosen_standard=standard,
        chosen_system=system,
        mapping=mapping,
        checked=summary,
    )


async def _ingest(
    request: Request, viewer: Viewer, *, standard: str, system: str, mapping: str
) -> RedirectResponse:
    """The file kept in a place of the background ingests (its folder under the data
    directory), its batch opened here (so that its page exists, and a file that cannot be read
    is refused before anything is written), then loaded by a background worker."""
    if not system:
        raise ValidationFailed.on("system", "missing-value", "choose a system")
    stewards = viewer.organisations(P.ingest_upload)
    if stewards is not None and service.organisation_of(system) not in stewards:
        raise Forbidden(f"you do not steward the data of {system!r}", code="not-permitted")
    await run_in_threadpool(_check_standard, request, standard)
    state = request.app.state
    with state.ingests.place() as place:
        got = await received(request, place.folder, mapping)
        # Not cancelled half-way: an opened batch (its claim held) must reach its job.
        with anyio.CancelScope(shield=True):
            opened = await run_in_threadpool(
                lambda: service.open_file(
                    engine=state.engine,
                    request=service.IngestRequest(
                        path=got.path,
                        standard=standard,
                        system=system,
                        mapping=got.mapping,
                        checksum=got.checksum,
                        source_name=got.filename,
                    ),
                    settings=state.settings,
                    actor=viewer.person.actor(),
                )
            )
            state.ingests.submit(place, opened)
    response = RedirectResponse(f"{UPLOAD}/batches/{opened.batch_id}", status_code=303)
    finish(request, response)
    return response


check_pages(router, ())  # deny by default, checked on import
