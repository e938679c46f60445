"""Data routes: one record, a filtered page, a bulk lookup — each through exchange.guard.

The routes read their own input (page, filters, body) inside the guarded work, after the
caller is authorised: a request without a token is 401 whatever else is wrong with it. Database
work on this path is a handful of indexed lookups done inline (cheaper than a thread hop); the
only wait is for the group commit of the audit entry. The single-record read is normally
answered before routing by exchange.fast_reads (same function, same answers).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from lienthong.errors import Forbidden, ValidationFailed
from lienthong.exchange.fast_reads import read_record
from lienthong.exchange.guard import Released, Shown, guarded
from lienthong.exchange.reads import Gate, visible
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.schemas import LookupRequest, LookupResult, RecordPage
from lienthong.http.callers import SystemToken
from lienthong.http.certificates import presented_thumbprint
from lienthong.http.deps import client_host
from lienthong.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, limit_from
from lienthong.store.service import get_records, list_records

router = APIRouter(tags=["data"], dependencies=[SystemToken])
PAGING = frozenset({"limit", "cursor"})
PAGE_PARAMETERS = {
    "parameters": [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "next_cursor of the previous page (opaque; only for this query)",
        },
    ]
}
LOOKUP_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": LookupRequest.model_json_schema()}},
    }
}


@router.get("/data/{dataset}/{key}", summary="One record, granted fields only")
async def read_one(request: Request, dataset: str, key: str) -> Response:
    # Normally answered by exchange.fast_reads before routing; the same function either way.
    rt: Runtime = request.app.state.exchange
    answer = await read_record(
        rt,
        request.headers,
        dataset,
        key,
        client_host(request),
        presented_thumbprint(request.scope, rt.settings),
    )
    return answer.response()


@router.get(
    "/data/{dataset}",
    response_model=RecordPage,
    summary="Filtered page of records",
    openapi_extra=PAGE_PARAMETERS,
)
async def list_data(request: Request, dataset: str) -> Response:
    """Query parameters other than ``limit`` and ``cursor`` filter on granted fields."""
    rt: Runtime = request.app.state.exchange
    query = request.query_params

    def work(gate: Gate) -> Released:
        ctx = gate.context(dataset)
        filters = {k: v for k, v in query.items() if k not in PAGING}
        for name in filters:
            if name not in ctx.access.fields:
                raise Forbidden(f"filtering on {name!r} is not granted", code="field-not-granted")
        page = PageRequest(
            seal=request.app.state.cursors,
            limit=limit_from(query.get("limit")),
            cursor=query.get("cursor"),
            caller=("system", gate.claims.system_id, ctx.access.fields),
        )
        with rt.engine.connect() as conn, rt.sessions(bind=conn) as session:
            rows, nxt = list_records(
                session=session,
                dataset=dataset,
                filters=filters,
                area_codes=ctx.access.communes,
                page=page,
                version=ctx.access.version,
            )

        def layout(shown: list[Shown]) -> dict[str, Any]:
            return {"items": [s.fields for s in shown], "next_cursor": nxt}

        return Released("data.list", [(ctx, r) for r in rows], layout, ctx.access.fields)

    answer = await guarded(
        rt,
        request.headers,
        target=dataset,
        work=work,
        source=client_host(request),
        certificate=presented_thumbprint(request.scope, rt.settings),
    )
    return answer.response()


@router.post(
    "/data/{dataset}/lookup",
    response_model=LookupResult,
    summary="Up to 1,000 records by key",
    openapi_extra=LOOKUP_BODY,
)
async def lookup(request: Request, dataset: str) -> Response:
    rt: Runtime = request.app.state.exchange
    raw = await request.body()

    def work(gate: Gate) -> Released:
        ctx = gate.context(dataset)
        try:
            keys = LookupRequest.model_validate_json(raw).keys
        except ValidationError as exc:
            raise ValidationFailed.of_parser(exc.errors()) from exc
        with rt.engine.connect() as conn, rt.sessions(bind=conn) as session:
            found = get_records(
                session=session, dataset=dataset, keys=keys, version=ctx.access.version
            )
        rows = [r for r in found if visible(ctx, r)]
        seen = {r["_key"] for r in rows}
        missing = [k for k in keys if k not in seen]

        def layout(shown: list[Shown]) -> dict[str, Any]:
            return {"items": [s.fields for s in shown], "missing": missing}

        return Released("data.lookup", [(ctx, r) for r in rows], layout, ctx.access.fields, keys)

    answer = await guarded(
        rt,
        request.headers,
        target=dataset,
        work=work,
        source=client_host(request),
        certificate=presented_thumbprint(request.scope, rt.settings),
    )
    return answer.response()
