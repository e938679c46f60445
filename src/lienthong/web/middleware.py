"""Pure-ASGI middleware: header and body size limits, Prometheus metrics (cheap on the hot path)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lienthong.errors import BadRequest, HeadersTooLarge, LienthongError, PayloadTooLarge
from lienthong.events import event
from lienthong.http.scope import client_address, route_template


async def send_error(
    send: Send,
    error: LienthongError,
    *,
    headers: dict[str, str] | None = None,
    close: bool = False,
) -> None:
    """Answer ``error`` in the one error shape, before any framework code ran."""
    body = json.dumps(error.as_dict(), ensure_ascii=False).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if close:  # the body was not read: the connection cannot carry another request
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class HeaderLimit:
    """Refuse (431 ``headers-too-large``) a request whose one header or all headers together
    exceed the limits, before anything reads them; the refusal is audited, without the path
    (it may name a person) and with the header cut short."""

    def __init__(self, app: ASGIApp, per_header: int, total: int) -> None:
        self.app = app
        self.per_header = per_header
        self.total = total

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            seen = 0
            for name, value in scope["headers"]:
                size = len(name) + len(value)
                seen += size
                if size > self.per_header or seen > self.total:
                    await self._refuse(scope, send, name, size, seen)
                    return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send, name: bytes, size: int, seen: int) -> None:
        error: LienthongError = HeadersTooLarge(
            f"request headers are over the limit ({self.per_header} bytes for one header, "
            f"{self.total} in all)"
        )
        try:
            await scope["app"].state.exchange.writer.write(
                event(
                    "request.refused",
                    actor={"kind": "anonymous"},
                    outcome=HeadersTooLarge.code,
                    ip=client_address(scope),
                    method=scope["method"],
                    detail={"header": name.decode("latin-1")[:64], "bytes": size, "all": seen},
                )
            )
        except LienthongError as unaudited:  # no answer without its entry: 503
            error = unaudited
        await send_error(send, error)


class BodyLimit:
    """Refuse bodies over the limit for their path: early by Content-Length, else while read."""

    def __init__(
        self,
        app: ASGIApp,
        limit_for: Callable[[str], int],
        refuse: Refusal | None = None,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.refuse = refuse or _refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_error(send, BadRequest("invalid Content-Length"), close=True)
                    return
                if declared > limit:
                    await self.refuse(scope, send, _too_large(limit))
                    return
        seen = 0
        exceeded = False

        async def limited() -> Message:
            # Past the limit the app sees a disconnect; whatever it answers is replaced by 413.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not exceeded:
                await send(message)

        await self.app(scope, limited, guarded)
        if exceeded:
            await self.refuse(scope, send, _too_large(limit))


# How a body over the limit is answered (the console answers its own paths with a page).
Refusal = Callable[[Scope, Send, LienthongError], Awaitable[None]]


async def _refuse(_scope: Scope, send: Send, error: LienthongError) -> None:
    await send_error(send, error, close=True)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is over the limit of {limit} bytes")


class StatusSeen:
    """``send``, remembering the status of the answer sent through it."""

    def __init__(self, send: Send, status: int) -> None:
        self.send = send
        self.status = status

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self.send(message)


class Metrics:
    """Request count and latency by method, route template and status."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "lienthong_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "lienthong_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        answered = StatusSeen(send, 500)
        try:
            await self.app(scope, receive, answered)
        finally:
            template = route_template(scope)
            method = scope["method"]
            self.requests.labels(method, template, str(answered.status)).inc()
            self.latency.labels(method, template).observe(time.perf_counter() - start)
