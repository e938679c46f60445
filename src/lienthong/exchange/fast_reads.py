"""The single-record read, served as plain ASGI in front of the framework's routing.

``GET /api/v1/data/{dataset}/{key}`` is the busiest call of a province. Routed through the
framework, request parsing, the middleware and routing layers and dependency solving cost
more than the read itself (token from cache, one primary-key select for liveness, one for the
record, the awaited audit commit). ``FastReads`` sits just inside the size-limit and metrics
middleware and answers this one route itself; everything else passes through. The documented
route in data_views calls the same ``read_record``, so both answer identically: same body,
same error shape (``{"error": {"code", "message", "details"}}``), same headers. Like every
personal-data answer, it goes through exchange.guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong.claims import Claims
from lienthong.errors import BadRequest
from lienthong.exchange.guard import Answer, Released, Shown, guarded
from lienthong.exchange.reads import Gate, asked_version, visible
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.store_link import fetch_one, fetch_with_live, key_values, not_found
from lienthong.http.certificates import presented_thumbprint

PATH = "/data/{dataset}/{key}"


def _one(shown: list[Shown]) -> dict[str, Any]:
    return shown[0].fields


async def read_record(
    rt: Runtime,
    headers: Mapping[str, str],
    dataset: str,
    key: str,
    source: str | None = None,
    certificate: str | None = None,
) -> Answer:
    """One record, granted fields only; its audit entry committed before the answer."""
    try:
        asked = asked_version(headers)
    except BadRequest:
        asked = None  # refused by guarded, in its order (token first)
    cached = rt.datasets.recent(dataset, asked)  # a guess until the grant is known
    values = key_values(cached, key) if cached is not None and cached.with_live else None
    prefetched: list[dict[str, Any] | None] = []

    async def liveness(claims: Claims) -> Any:
        # The caller's liveness row and the record in one statement (used only once allowed).
        assert cached is not None and values is not None
        live, row = await fetch_with_live(rt.hot, cached, values, claims.credential_id)
        prefetched.append(row)
        return live

    def work(gate: Gate) -> Released:
        ctx = gate.context(dataset)
        same = cached is not None and ctx.dataset.info.version == cached.info.version
        row = prefetched[0] if prefetched and same else fetch_one(rt.hot, ctx.dataset, key)
        return Released(
            "data.read",
            [(ctx, row)] if row is not None and visible(ctx, row) else [],
            _one,
            ctx.access.fields,
            keys=[key],
            missing=lambda: not_found(dataset, key),
        )

    return await guarded(
        rt,
        headers,
        target=dataset,
        work=work,
        liveness=liveness if values is not None else None,
        source=source,
        certificate=certificate,
    )


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
        client = scope.get("client")
        rt = scope["app"].state.exchange
        answer = await read_record(
            rt,
            headers,
            dataset,
            key,
            client[0] if client else None,
            presented_thumbprint(scope, rt.settings),
        )
        raw = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(answer.body)).encode()),
        ]
        raw += [(k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": raw})
        await send({"type": "http.response.body", "body": answer.body})
