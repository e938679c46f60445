"""Who looked at a person's data and audit search (auditors and the operator; both audited),
and the signed checkpoints that anyone may fetch (public, as a transparency log's are: a
witness polls them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lienthong.audit.publish import checkpoint_page, latest_checkpoint
from lienthong.audit.service import audit_keys, record, search_entries, subject_reads
from lienthong.errors import NotFound
from lienthong.events import event
from lienthong.http.callers import actor_of, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.keys import public_pem
from lienthong.paging import Page

router = APIRouter(tags=["audit"])
public_router = APIRouter(tags=["audit"])
PEM = "application/x-pem-file"


@router.get(
    "/audit/subjects/{personal_id}",
    response_model=Page[dict[str, Any]],
    dependencies=[permit(P.audit_subjects)],
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
        entry=event("audit.subject-report", actor=actor_of(request), count=len(rows)),
    )
    return Page(items=rows, next_cursor=nxt)


@router.get(
    "/audit/entries",
    response_model=Page[dict[str, Any]],
    dependencies=[permit(P.audit_search)],
)
def audit_search(
    request: Request,
    session: SessionDep,
    paging: Paging,
    action: Annotated[
        str, Query(min_length=1, max_length=64, description="e.g. operator.break-glass")
    ],
) -> Page[dict[str, Any]]:
    """Audit entries of one action, oldest first (itself audited)."""
    rows, nxt = search_entries(session=session, action=action, page=paging)
    record(
        session=session,
        settings=request.app.state.settings,
        entry=event("audit.search", actor=actor_of(request), searched=action, count=len(rows)),
    )
    return Page(items=rows, next_cursor=nxt)


@router.get(
    "/audit/checkpoints/latest",
    response_model=dict[str, Any],
    summary="The latest signed checkpoint (public, for witnesses)",
)
def latest(session: SessionDep) -> dict[str, Any]:
    found = latest_checkpoint(session=session)
    if found is None:
        raise NotFound("no checkpoint has been signed yet", code="no-checkpoint")
    return found


@router.get(
    "/audit/checkpoints",
    response_model=Page[dict[str, Any]],
    summary="Signed checkpoints in order (public, for witnesses)",
)
def checkpoints(session: SessionDep, paging: Paging) -> Page[dict[str, Any]]:
    items, nxt = checkpoint_page(session=session, page=paging)
    return Page(items=items, next_cursor=nxt)


@public_router.get(
    "/.well-known/audit-public-key.pem",
    summary="The Ed25519 key that signs audit checkpoints",
    response_class=Response,
    responses={200: {"content": {PEM: {"schema": {"type": "string"}}}}},
)
def audit_public_key(request: Request) -> Response:
    key = audit_keys(request.app.state.settings).signing_key.public_key()
    return Response(public_pem(key), media_type=PEM)
