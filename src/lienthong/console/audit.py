"""The audit pages: search of the log by system, dataset, purpose, action and time with the
chain's status and an export for an outside auditor (``audit.search``); the subject report
(``audit.subjects``); and "who looked at my data" for a citizen (``own.reads``). Each uses the
audit domain's services and is audited as the matching API route is."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from lienthong.audit.service import (
    EntryFilter,
    audit_keys,
    filter_entries,
    record,
    subject_reads,
)
from lienthong.audit.verify import status
from lienthong.console.access import Page, Viewer, check_pages
from lienthong.console.navigation import PREFIX
from lienthong.console.render import ConsoleRoute, finish, render
from lienthong.errors import Forbidden, ValidationFailed
from lienthong.events import event
from lienthong.http.permissions import Permission as P
from lienthong.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from lienthong.people import service as people

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Auditor = Annotated[Viewer, Depends(Page(P.audit_search))]
SubjectAuditor = Annotated[Viewer, Depends(Page(P.audit_subjects))]
Citizen = Annotated[Viewer, Depends(Page(P.own_reads))]
Text = Annotated[str | None, Query(max_length=64)]
Day = Annotated[str | None, Query(max_length=10)]
Cursor = Annotated[str | None, Query(max_length=2048)]
VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving
EXPORT_LIMIT = 10_000  # entries in one export; narrow the filters for more


def _page(request: Request, cursor: str | None, viewer: Viewer, limit: int) -> PageRequest:
    return PageRequest(seal=request.app.state.cursors, limit=limit, cursor=cursor).for_caller(
        "person", viewer.person.id
    )


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.on(field, "invalid-date", "a date is not YYYY-MM-DD") from None


def _filter(
    action: str | None,
    system: str | None,
    dataset: str | None,
    purpose: str | None,
    since: str | None,
    until: str | None,
) -> EntryFilter:
    """The form's filters; ``until`` is a day included whole."""
    start, end = _day(since, "since"), _day(until, "until")
    return EntryFilter(
        action=(action or "").strip() or None,
        system=(system or "").strip() or None,
        dataset=(dataset or "").strip() or None,
        purpose=(purpose or "").strip() or None,
        since=datetime.combine(start, time(), UTC) if start else None,
        until=datetime.combine(end, time(), UTC) + timedelta(days=1) if end else None,
    )


def _audited(request: Request, session: Session, entry: dict[str, Any]) -> None:
    with session.begin():
        record(session=session, settings=request.app.state.settings, entry=entry)


def _searched(where: EntryFilter) -> dict[str, str]:
    shown = {
        "action": where.action,
        "system": where.system,
        "dataset": where.dataset,
        "purpose": where.purpose,
        "since": where.since and where.since.isoformat(),
        "until": where.until and where.until.isoformat(),
    }
    return {k: v for k, v in shown.items() if v}


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    actor = entry.get("actor") or {}
    who = actor.get("system") or actor.get("name") or actor.get("person") or actor.get("user")
    return {
        "seq": entry.get("seq"),
        "at": str(entry.get("at", ""))[:19].replace("T", " "),
        "action": entry.get("action"),
        "kind": actor.get("kind"),
        "organisation": actor.get("organisation"),
        "who": who,
        "dataset": entry.get("dataset"),
        "purpose": entry.get("purpose"),
        "outcome": entry.get("outcome") or "ok",
    }


@router.get("/audit")
def audit_page(
    request: Request,
    viewer: Auditor,
    action: Text = None,
    system: Text = None,
    dataset: Text = None,
    purpose: Text = None,
    since: Day = None,
    until: Day = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    where = _filter(action, system, dataset, purpose, since, until)
    settings = request.app.state.settings
    with request.app.state.sessions() as session:
        rows, nxt = filter_entries(
            session=session, where=where, page=_page(request, cursor, viewer, DEFAULT_LIMIT)
        )
        chain_status = status(session.connection(), audit_keys(settings).signing_key.public_key())
        session.rollback()
        _audited(
            request,
            session,
            event(
                "audit.search",
                actor=viewer.person.actor(),
                searched=_searched(where) or None,
                count=len(rows),
            ),
        )
    query = request.url.query
    export = f"{PREFIX}/audit/export.jsonl" + (f"?{_without_cursor(request)}" if query else "")
    return render(
        request,
        "audit_search.html",
        viewer=viewer,
        entries=[_row(r) for r in rows],
        form={
            "action": action or "",
            "system": system or "",
            "dataset": dataset or "",
            "purpose": purpose or "",
            "since": since or "",
            "until": until or "",
        },
        chain=chain_status,
        export=export,
        next_cursor=nxt,
    )


def _without_cursor(request: Request) -> str:
    return str(request.url.remove_query_params(["cursor", "lang"]).query)


@router.get("/audit/export.jsonl")
def audit_export(
    request: Request,
    viewer: Auditor,
    action: Text = None,
    system: Text = None,
    dataset: Text = None,
    purpose: Text = None,
    since: Day = None,
    until: Day = None,
) -> Response:
    """The filtered entries as JSON lines, each exactly as the log holds it (with its seq and
    time), for an auditor outside the platform; at most EXPORT_LIMIT entries."""
    where = _filter(action, system, dataset, purpose, since, until)
    with request.app.state.sessions() as session:
        rows, cursor = [], None
        while True:  # pages of the largest size, up to EXPORT_LIMIT entries
            found, cursor = filter_entries(
                session=session, where=where, page=_page(request, cursor, viewer, MAX_LIMIT)
            )
            rows.extend(found)
            if cursor is None or len(rows) >= EXPORT_LIMIT:
                break
        rows = rows[:EXPORT_LIMIT]
        session.rollback()
        _audited(
            request,
            session,
            event(
                "audit.search",
                actor=viewer.person.actor(),
                searched=_searched(where) or None,
                count=len(rows),
                export=True,
            ),
        )
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    response = Response(
        body,
        media_type="application/x-ndjson; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="audit-entries.jsonl"'},
    )
    finish(request, response)
    return response


@router.get("/audit/subjects")
def subject_page(
    request: Request,
    viewer: SubjectAuditor,
    personal_id: Annotated[str | None, Query(max_length=32)] = None,
    cursor: Cursor = None,
) -> HTMLResponse:
    """The subject report of one person for auditors; the personal ID is kept out of the
    address bar's history only as far as a GET form allows (it is never written to the log)."""
    wanted = (personal_id or "").strip()
    rows: list[dict[str, Any]] = []
    nxt = None
    if wanted:
        settings = request.app.state.settings
        with request.app.state.sessions() as session:
            rows, nxt = subject_reads(
                session=session,
                settings=settings,
                personal_id=wanted,
                page=_page(request, cursor, viewer, DEFAULT_LIMIT),
            )
            session.rollback()
            _audited(
                request,
                session,
                event("audit.subject-report", actor=viewer.person.actor(), count=len(rows)),
            )
    return render(
        request,
        "audit_subjects.html",
        viewer=viewer,
        personal_id=wanted,
        reads=[_read(r) for r in rows],
        next_cursor=nxt,
    )


def _read(row: dict[str, Any]) -> dict[str, Any]:
    """A read as shown: UTC for auditors, and Vietnam's time (UTC+7) for the citizen."""
    at = datetime.fromisoformat(str(row["at"]))
    local = at.astimezone(VIETNAM)
    return row | {
        "at": at.strftime("%Y-%m-%d %H:%M:%S"),
        "local_day": local.strftime("%d/%m/%Y"),
        "local_time": local.strftime("%H:%M"),
    }


@router.get("/me/reads")
def my_reads_page(request: Request, viewer: Citizen, cursor: Cursor = None) -> HTMLResponse:
    """Who read the signed-in citizen's records: the same report as ``/people/me/reads``."""
    settings = request.app.state.settings
    with request.app.state.sessions() as session:
        person = people.get_person(session=session, person_id=viewer.person.id)
        if not person.personal_id:
            raise Forbidden("your account carries no personal ID", code="no-personal-id")
        rows, nxt = subject_reads(
            session=session,
            settings=settings,
            personal_id=person.personal_id,
            page=_page(request, cursor, viewer, DEFAULT_LIMIT),
        )
        session.rollback()
        _audited(
            request,
            session,
            event("audit.subject-report", actor=viewer.person.actor(), count=len(rows), own=True),
        )
    return render(
        request,
        "audit_my_reads.html",
        viewer=viewer,
        reads=[_read(r) for r in rows],
        next_cursor=nxt,
    )


check_pages(router, ())  # deny by default, checked on import
