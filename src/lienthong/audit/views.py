"""Who looked at my data: the subject-access report (operator only; itself audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from lienthong.audit.service import event, operator_actor, record, subject_reads
from lienthong.paging import Page
from lienthong.web.deps import Operator, SessionDep
from lienthong.web.paging import Paging

router = APIRouter(tags=["audit"])


@router.get(
    "/audit/subjects/{personal_id}", response_model=Page[dict[str, Any]], dependencies=[Operator]
)
def subject_report(
    request: Request,
    session: SessionDep,
    personal_id: str,
    paging: Paging,
) -> Page[dict[str, Any]]:
    settings = request.app.state.settings
    rows, nxt = subject_reads(
        session=session, settings=settings, personal_id=personal_id, page=paging
    )
    record(
        session=session,
        settings=settings,
        entry=event("audit.subject-report", actor=operator_actor(), count=len(rows)),
    )
    return Page(items=rows, next_cursor=nxt)
