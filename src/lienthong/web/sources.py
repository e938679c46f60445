"""Per-source-address limit on refused requests, so that a flood costs the audit log
O(windows), not O(requests).

Each address (an IPv6 address by its /64) may get ``limit`` refused answers per window: a 401,
a 431, or a refusal a view marks with ``http.scope.mark_refused`` (a failed token request). Each of
those is audited as usual. Past the limit, the address is answered 429 ``rate-limited`` with
``Retry-After`` before any work, until its window ends; the requests answered so are audited
in aggregate, one ``source.limited`` entry per address and window with their count. Counts
live in each server process (each enforces the limit on its share of the traffic).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong.errors import LienthongError, retry_after_header
from lienthong.events import event
from lienthong.http.scope import FLAG, client_address
from lienthong.web.middleware import StatusSeen, send_error

COUNTED = frozenset({401, 431})
SWEEP_AT = 10_000  # windows kept before expired ones are swept


class SourceLimited(LienthongError):
    code = "rate-limited"
    status = 429


def source_of(scope: Scope) -> str:
    address = client_address(scope)
    if ":" in address:
        try:
            return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
        except ValueError:
            return address
    return address


@dataclass
class Window:
    start: float
    started_at: datetime
    refused: int = 0
    suppressed: int = 0


class SourceLimits:
    """The windows of every address seen refusing; ``emit`` receives the aggregate entries."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self.emit: Callable[[Mapping[str, Any]], object] | None = None
        self._windows: dict[str, Window] = {}

    def retry_after(self, address: str, now: float) -> float | None:
        """Seconds until ``address`` may be served again, counting this request; else None."""
        window = self._windows.get(address)
        if window is None or window.refused < self.limit:
            return None
        left = window.start + self.seconds - now
        if left <= 0:
            self._close(address, window)
            return None
        window.suppressed += 1
        if window.suppressed == 1:
            asyncio.get_running_loop().call_later(left, self._expire, address, window)
        return left

    def refused(self, address: str, now: float) -> None:
        window = self._windows.get(address)
        if window is not None and now - window.start >= self.seconds:
            self._close(address, window)
            window = None
        if window is None:
            if len(self._windows) >= SWEEP_AT:
                self._sweep(now)
            window = self._windows[address] = Window(now, datetime.now(UTC))
        window.refused += 1

    def close(self) -> None:
        """Write the aggregate of every open window (on shutdown)."""
        for address, window in list(self._windows.items()):
            self._close(address, window)

    def _expire(self, address: str, window: Window) -> None:
        if self._windows.get(address) is window:
            self._close(address, window)

    def _sweep(self, now: float) -> None:
        for address, window in list(self._windows.items()):
            if now - window.start >= self.seconds:
                self._close(address, window)

    def _close(self, address: str, window: Window) -> None:
        self._windows.pop(address, None)
        if window.suppressed and self.emit is not None:
            self.emit(
                event(
                    "source.limited",
                    actor={"kind": "anonymous"},
                    outcome=SourceLimited.code,
                    ip=address,
                    count=window.suppressed,
                    detail={
                        "since": window.started_at.isoformat(timespec="seconds"),
                        "window_seconds": self.seconds,
                        "refused_before_limit": window.refused,
                    },
                )
            )
        window.suppressed = 0


class SourceGuard:
    """Answer 429 to an address over its refusal limit; count the refusals of the others."""

    def __init__(self, app: ASGIApp, limits: SourceLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limits.limit <= 0:
            await self.app(scope, receive, send)
            return
        address = source_of(scope)
        wait = self.limits.retry_after(address, time.monotonic())
        if wait is not None:
            error = SourceLimited("too many refused requests from this address; retry later")
            await send_error(send, error, headers=retry_after_header(wait))
            return
        answered = StatusSeen(send, 0)
        await self.app(scope, receive, answered)
        if answered.status in COUNTED or scope.get("state", {}).get(FLAG):
            self.limits.refused(address, time.monotonic())
