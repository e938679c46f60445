"""Linkage routes: the review queue (operator) and master records under grants (systems)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lienthong.audit.service import event, hashes, operator_actor
from lienthong.bounds import Id
from lienthong.errors import BadRequest, LienthongError
from lienthong.exchange.reads import audit_refusal, request_id
from lienthong.exchange.runtime import Runtime
from lienthong.linkage import review
from lienthong.linkage.models import Review
from lienthong.linkage.sharing import granted_master
from lienthong.paging import DEFAULT_LIMIT, Page
from lienthong.security.deps import system_claims
from lienthong.security.tokens import Claims
from lienthong.web.deps import Operator, SessionDep

router = APIRouter(tags=["linkage"])
Limit = Annotated[int, Query(ge=1, le=1000)]


class RecordRef(BaseModel):
    dataset: str
    key: str


class ReviewRead(BaseModel):
    id: int
    kind: str
    status: str
    left: RecordRef
    right: RecordRef
    match_weight: float
    evidence: dict[str, Any]
    decided_by: str | None
    note: str | None


class ReviewDecision(BaseModel):
    note: str | None = Field(default=None, max_length=500)


def _read(item: Review) -> ReviewRead:
    return ReviewRead(
        id=item.id,
        kind=item.kind,
        status=item.status,
        left=RecordRef(dataset=item.left_dataset, key=item.left_key),
        right=RecordRef(dataset=item.right_dataset, key=item.right_key),
        match_weight=item.match_weight,
        evidence=json.loads(item.evidence) if item.evidence else {},
        decided_by=item.decided_by,
        note=item.note,
    )


@router.get("/linkage/reviews", response_model=Page[ReviewRead], dependencies=[Operator])
def list_reviews(
    session: SessionDep,
    status: str | None = "pending",
    kind: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[ReviewRead]:
    items, nxt = review.list_reviews(
        session=session, status=status, kind=kind, limit=limit, cursor=cursor
    )
    return Page(items=[_read(i) for i in items], next_cursor=nxt)


@router.get("/linkage/reviews/{review_id}", response_model=ReviewRead, dependencies=[Operator])
def show_review(session: SessionDep, review_id: Id) -> ReviewRead:
    return _read(review.get_review(session=session, review_id=review_id))


def _decide(request: Request, session: Any, review_id: Id, decision: str, note: str | None):
    item = review.decide(
        session=session,
        review_id=review_id,
        decision=decision,
        note=note,
        settings=request.app.state.settings,
        actor=operator_actor(),
    )
    return _read(item)


@router.post(
    "/linkage/reviews/{review_id}/accept", response_model=ReviewRead, dependencies=[Operator]
)
def accept(
    request: Request, session: SessionDep, review_id: Id, body: ReviewDecision | None = None
) -> ReviewRead:
    """Accept a pair: always linked from the next run on (audited)."""
    return _decide(request, session, review_id, "accepted", body.note if body else None)


@router.post(
    "/linkage/reviews/{review_id}/reject", response_model=ReviewRead, dependencies=[Operator]
)
def reject(
    request: Request, session: SessionDep, review_id: Id, body: ReviewDecision | None = None
) -> ReviewRead:
    """Reject a pair: never linked, not even through other records (audited)."""
    return _decide(request, session, review_id, "rejected", body.note if body else None)


@router.get("/masters/{kind}/{master_id}", summary="A master record with its linked records")
async def read_master(request: Request, kind: str, master_id: str) -> Response:
    """Linked source records the caller's grants allow, granted fields only; audited."""
    rt: Runtime = request.app.state.exchange
    rid = request_id(request.headers)
    purpose = request.headers.get("x-purpose")
    claims: Claims | None = None
    try:
        claims = system_claims(request)
        rt.limiter.take(claims.system_id)
        if not purpose:
            raise BadRequest("declare the purpose in the X-Purpose header", code="purpose-required")
        with rt.engine.connect() as conn, rt.sessions(bind=conn) as session:
            body, people = granted_master(
                rt=rt,
                conn=conn,
                session=session,
                claims=claims,
                kind=kind,
                master_id=master_id,
                purpose=purpose,
                rid=rid,
            )
        entry = event(
            "data.read",
            actor=claims.actor(),
            dataset=f"masters/{kind}",
            count=len(body["records"]),
            datasets=sorted({r["dataset"] for r in body["records"]}),
            purpose=purpose,
            on_behalf_of=request.headers.get("x-on-behalf-of"),
            request_id=rid,
            keys=hashes(rt.audit, [master_id]),
            subjects=hashes(rt.audit, people) or None,
        )
        await rt.writer.write(entry)
    except LienthongError as error:
        audit_refusal(rt, claims, f"masters/{kind}", error, rid, purpose)
        error.headers = {**getattr(error, "headers", {}), "X-Request-Id": rid}  # type: ignore[attr-defined]
        raise
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return Response(data, media_type="application/json", headers={"X-Request-Id": rid})
