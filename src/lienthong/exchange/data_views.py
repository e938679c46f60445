"""Data routes: one record, a filtered page, a bulk lookup (async: the audit commit is awaited).

Database work on this path is a handful of indexed lookups done inline (cheaper than a thread
hop); the only wait is for the group commit of the audit entry. The single-record read is
normally answered before routing by exchange.fast_reads (same function, same answers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lienthong.errors import Forbidden, LienthongError
from lienthong.exchange.fast_reads import claims_of, encode, read_record, refused
from lienthong.exchange.reads import ReadContext, authorise, read_event, request_id, shape, visible
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.schemas import LookupRequest, LookupResult, RecordPage
from lienthong.paging import DEFAULT_LIMIT
from lienthong.security.tokens import Claims
from lienthong.store.service import get_records, list_records

router = APIRouter(tags=["data"])


def _json(body: Any, rid: str) -> Response:
    return Response(encode(body), media_type="application/json", headers={"X-Request-Id": rid})


async def _guarded(
    request: Request, dataset: str, work: Callable[[Runtime, ReadContext], Awaitable[Any]]
) -> Response:
    rt: Runtime = request.app.state.exchange
    headers = request.headers
    rid = request_id(headers)
    claims: Claims | None = None
    try:
        claims = claims_of(rt, headers.get("authorization"))
        ctx = authorise(rt, claims, dataset, headers, rid)
        return _json(await work(rt, ctx), rid)
    except LienthongError as error:
        error.headers = refused(rt, error, claims, dataset, headers, rid)  # type: ignore[attr-defined]
        raise


@router.get("/data/{dataset}/{key}", summary="One record, granted fields only")
async def read_one(request: Request, dataset: str, key: str) -> Response:
    # Normally answered by exchange.fast_reads before routing; the same function either way.
    answer = await read_record(request.app.state.exchange, request.headers, dataset, key)
    return Response(
        answer.body, answer.status, headers=answer.headers, media_type="application/json"
    )


@router.get("/data/{dataset}", response_model=RecordPage, summary="Filtered page of records")
async def list_data(
    request: Request,
    dataset: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Response:
    filters = {k: v for k, v in request.query_params.items() if k not in {"limit", "cursor"}}

    async def work(rt: Runtime, ctx: ReadContext) -> Any:
        for name in filters:
            if name not in ctx.access.fields:
                raise Forbidden(f"filtering on {name!r} is not granted", code="field-not-granted")
        with rt.engine.connect() as conn, rt.sessions(bind=conn) as session:
            rows, nxt = list_records(
                session=session,
                dataset=dataset,
                filters=filters,
                area_codes=ctx.access.communes,
                limit=limit,
                cursor=cursor,
            )
        await rt.writer.write(read_event(rt, ctx, "data.list", rows, None))
        return {"items": [shape(ctx, r) for r in rows], "next_cursor": nxt}

    return await _guarded(request, dataset, work)


@router.post(
    "/data/{dataset}/lookup", response_model=LookupResult, summary="Up to 1,000 records by key"
)
async def lookup(request: Request, dataset: str, body: LookupRequest) -> Response:
    async def work(rt: Runtime, ctx: ReadContext) -> Any:
        with rt.engine.connect() as conn, rt.sessions(bind=conn) as session:
            found = get_records(session=session, dataset=dataset, keys=body.keys)
        rows = [r for r in found if visible(ctx, r)]
        await rt.writer.write(read_event(rt, ctx, "data.lookup", rows, body.keys))
        seen = {r["_key"] for r in rows}
        return {
            "items": [shape(ctx, r) for r in rows],
            "missing": [k for k in body.keys if k not in seen],
        }

    return await _guarded(request, dataset, work)
