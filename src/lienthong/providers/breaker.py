"""A circuit breaker per provider service (in each worker process).

Closed: calls pass; ``failures`` consecutive failures (no answer in time, no connection, a 5xx
answer) open it; an answer over the size limit is not one (the provider is up). Open: calls are
refused at once (503 ``provider-unavailable``) for ``open_seconds``. Then half-open: one trial
call passes (others are still refused); its success closes the breaker, its failure opens it
again for another ``open_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half-open"


@dataclass
class Breaker:
    failures: int
    open_seconds: float
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.closed
    consecutive: int = 0
    opened_at: float = 0.0
    trial_running: bool = field(default=False)

    def admit(self) -> float | None:
        """None if the call may go; else the seconds until a trial call will be allowed."""
        if self.state is BreakerState.closed:
            return None
        waited = self.clock() - self.opened_at
        if self.state is BreakerState.open and waited >= self.open_seconds:
            self.state = BreakerState.half_open
            self.trial_running = False
        if self.state is BreakerState.half_open and not self.trial_running:
            self.trial_running = True
            return None
        return max(self.open_seconds - waited, 0.0)

    def succeeded(self) -> None:
        self.state, self.consecutive, self.trial_running = BreakerState.closed, 0, False

    def release(self) -> None:
        """A call ended without an outcome (cancelled): a trial it was no longer holds others."""
        self.trial_running = False

    def failed(self) -> None:
        self.consecutive += 1
        if self.state is BreakerState.half_open or self.consecutive >= self.failures:
            self.state, self.opened_at, self.trial_running = (
                BreakerState.open,
                self.clock(),
                False,
            )


class Breakers:
    """The breakers of this process, one per service name."""

    def __init__(self, failures: int, open_seconds: float) -> None:
        self.failures, self.open_seconds = failures, open_seconds
        self._by_service: dict[str, Breaker] = {}

    def of(self, service: str) -> Breaker:
        found = self._by_service.get(service)
        if found is None:
            found = self._by_service[service] = Breaker(self.failures, self.open_seconds)
        return found
