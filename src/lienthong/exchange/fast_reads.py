"""The single-record read, served as plain ASGI in front of the framework's routing.

``GET /api/v1/data/{dataset}/{key}`` is the busiest call of a province. Routed through the
framework, request parsing, the middleware and routing layers and dependency solving cost
more than the read itself (token from cache, one primary-key select for liveness, one for the
record, the awaited audit commit). ``FastReads`` sits just inside the size-limit and metrics
middleware and answers this one route itself; everything else passes through. The documented
route in data_views calls the same ``read_record``, so both answer identically: same body,
same error shape (``{"error": {"code", "message", "details"}}``), same headers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong.errors import DatabaseUnavailable, LienthongError, Unauthorized
from lienthong.exchange.reads import (
    admit,
    audit_refusal,
    authorise,
    read_event,
    request_id,
    shape,
    visible,
)
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.store_link import fetch_one, fetch_with_live, key_values, not_found
from lienthong.outage import database_unavailable, is_unreachable
from lienthong.security.tokens import Claims

log = logging.getLogger("lienthong")

PATH = "/data/{dataset}/{key}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def claims_of(rt: Runtime, authorization: str | None) -> Claims:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "an access token is required (Authorization: Bearer …)", code="missing-token"
        )
    return rt.verifier.verify(token)


def refused(
    rt: Runtime, error: LienthongError, claims: Claims | None, dataset: str, headers: Any, rid: str
) -> dict[str, str]:
    """Audit the refusal (without waiting) and give the headers of the error answer."""
    audit_refusal(rt, claims, dataset, error, rid, headers.get("x-purpose"))
    if error.status >= 500 and not isinstance(error, DatabaseUnavailable):
        log.error("%s: %s", error.code, error.message)
    return {**getattr(error, "headers", {}), "X-Request-Id": rid}


async def read_record(rt: Runtime, headers: Mapping[str, str], dataset: str, key: str) -> Answer:
    """One record, granted fields only; its audit entry committed before the answer."""
    rid = request_id(headers)
    claims: Claims | None = None
    try:
        claims = claims_of(rt, headers.get("authorization"))
        purpose = admit(rt, claims, headers)
        cached = rt.datasets.get(dataset)
        values = key_values(cached, key) if cached and cached.with_live else None
        if cached is not None and values is not None:
            live, row = fetch_with_live(rt.hot, cached, values, claims.credential_id)
            ctx = authorise(rt, claims, dataset, headers, rid, purpose=purpose, live=live)
        else:
            ctx = authorise(rt, claims, dataset, headers, rid, purpose=purpose)
            row = fetch_one(rt.hot, ctx.dataset, key)
        rows = [row] if row is not None and visible(ctx, row) else []
        await rt.writer.enqueue(read_event(rt, ctx, "data.read", rows, [key]))
        if not rows:
            raise not_found(dataset, key)
        return Answer(200, encode(shape(ctx, rows[0])), {"X-Request-Id": rid})
    except (LienthongError, DBAPIError) as caught:
        # Outside the framework's handlers: a lost database is answered here, not as a 500.
        if isinstance(caught, DBAPIError) and not is_unreachable(caught):
            raise
        error = caught if isinstance(caught, LienthongError) else database_unavailable(caught)
        extra = refused(rt, error, claims, dataset, headers, rid)
        return Answer(error.status, encode(error.as_dict()), extra)


class FastReads:
    """Answer ``GET {prefix}/data/{dataset}/{key}`` directly; pass everything else on."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.start = prefix + "/data/"
        self.template = prefix + PATH
        self._route: Any = None

    def _matched_route(self, scope: Scope) -> Any:
        # For the metrics middleware's route label, as if the router had matched.
        if self._route is None:
            for route in scope["app"].routes:
                if getattr(route, "path", None) == self.template:
                    self._route = route
        return self._route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(self.start):
                dataset, sep, key = path[len(self.start) :].partition("/")
                if dataset and sep and key and "/" not in key:
                    await self._serve(scope, send, dataset, key)
                    return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, send: Send, dataset: str, key: str) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        scope["route"] = self._matched_route(scope)
        scope["path_params"] = {"dataset": dataset, "key": key}
        answer = await read_record(scope["app"].state.exchange, headers, dataset, key)
        raw = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(answer.body)).encode()),
        ]
        raw += [(k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": raw})
        await send({"type": "http.response.body", "body": answer.body})
