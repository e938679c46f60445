"""Linkage routes: the review queue (operator) and master records under grants (systems)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lienthong.bounds import Id
from lienthong.exchange.guard import Released, guarded
from lienthong.exchange.reads import Gate
from lienthong.exchange.runtime import Runtime
from lienthong.http.callers import SystemToken, actor_of, permit
from lienthong.http.certificates import presented_thumbprint
from lienthong.http.deps import SessionDep, client_host
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.linkage import calibration, review, runs
from lienthong.linkage.schemas import ModelRead, ReviewDecision, ReviewRead
from lienthong.linkage.sharing import granted_master
from lienthong.paging import Page

router = APIRouter(tags=["linkage"])


@router.get(
    "/linkage/reviews", response_model=Page[ReviewRead], dependencies=[permit(P.linkage_read)]
)
def list_reviews(
    session: SessionDep, paging: Paging, status: str | None = "pending", kind: str | None = None
) -> Page[ReviewRead]:
    items, nxt = review.list_reviews(session=session, status=status, kind=kind, page=paging)
    return Page(items=[ReviewRead.of(i) for i in items], next_cursor=nxt)


@router.get(
    "/linkage/reviews/{review_id}", response_model=ReviewRead, dependencies=[permit(P.linkage_read)]
)
def show_review(session: SessionDep, review_id: Id) -> ReviewRead:
    return ReviewRead.of(review.get_review(session=session, review_id=review_id))


def _decide(
    request: Request, session: Any, review_id: Id, decision: str, note: str | None
) -> ReviewRead:
    item = review.decide(
        session=session,
        review_id=review_id,
        decision=decision,
        note=note,
        settings=request.app.state.settings,
        actor=actor_of(request),
    )
    return ReviewRead.of(item)


@router.post(
    "/linkage/reviews/{review_id}/accept",
    response_model=ReviewRead,
    dependencies=[permit(P.linkage_decide)],
)
def accept(
    request: Request, session: SessionDep, review_id: Id, body: ReviewDecision | None = None
) -> ReviewRead:
    """Accept a pair: always linked from the next run on (audited)."""
    return _decide(request, session, review_id, "accepted", body.note if body else None)


@router.post(
    "/linkage/reviews/{review_id}/reject",
    response_model=ReviewRead,
    dependencies=[permit(P.linkage_decide)],
)
def reject(
    request: Request, session: SessionDep, review_id: Id, body: ReviewDecision | None = None
) -> ReviewRead:
    """Reject a pair: never linked, not even through other records (audited)."""
    return _decide(request, session, review_id, "rejected", body.note if body else None)


@router.get(
    "/linkage/models", response_model=Page[ModelRead], dependencies=[permit(P.linkage_read)]
)
def list_models(session: SessionDep, paging: Paging, kind: str | None = None) -> Page[ModelRead]:
    items, nxt = calibration.list_models(session=session, kind=kind, page=paging)
    return Page(items=[ModelRead.of(i) for i in items], next_cursor=nxt)


@router.post(
    "/linkage/models/{kind}/train",
    response_model=ModelRead,
    status_code=201,
    dependencies=[permit(P.linkage_decide)],
)
def train(
    request: Request,
    session: SessionDep,
    kind: str,
    activate: bool | None = None,
    em: bool = True,
) -> ModelRead:
    """Train the kind's comparisons on the store's records; a new model version (audited)."""
    done = runs.train(
        session=session,
        kind=kind,
        activate=activate,
        em=em,
        settings=request.app.state.settings,
        actor=actor_of(request),
    )
    return ModelRead.of(done.model)


def _set_active(request: Request, session: Any, model_id: Id, active: bool) -> ModelRead:
    model = calibration.set_active(
        session=session,
        model_id=model_id,
        active=active,
        settings=request.app.state.settings,
        actor=actor_of(request),
    )
    return ModelRead.of(model)


@router.post(
    "/linkage/models/{model_id}/activate",
    response_model=ModelRead,
    dependencies=[permit(P.linkage_decide)],
)
def activate(request: Request, session: SessionDep, model_id: Id) -> ModelRead:
    """Runs of the model's kind use it from the next one on (the newest active wins; audited)."""
    return _set_active(request, session, model_id, True)


@router.post(
    "/linkage/models/{model_id}/deactivate",
    response_model=ModelRead,
    dependencies=[permit(P.linkage_decide)],
)
def deactivate(request: Request, session: SessionDep, model_id: Id) -> ModelRead:
    """Runs stop using the model from the next one on (audited)."""
    return _set_active(request, session, model_id, False)


@router.get(
    "/masters/{kind}/{master_id}",
    summary="A master record with its linked records",
    dependencies=[SystemToken],
)
async def read_master(request: Request, kind: str, master_id: str) -> Response:
    """Linked source records the caller's grants allow, granted fields only; audited."""
    rt: Runtime = request.app.state.exchange

    def work(gate: Gate) -> Released:
        with rt.engine.connect() as conn, rt.sessions(bind=conn) as session:
            return granted_master(gate=gate, session=session, kind=kind, master_id=master_id)

    answer = await guarded(
        rt,
        request.headers,
        target=f"masters/{kind}",
        work=work,
        source=client_host(request),
        certificate=presented_thumbprint(request.scope, rt.settings),
    )
    return answer.response()
