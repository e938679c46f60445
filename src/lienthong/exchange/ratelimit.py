"""Per-system token buckets, in process (each worker enforces its share of the limit)."""

from __future__ import annotations

import time

from lienthong.errors import LienthongError, retry_after_header


class RateLimited(LienthongError):
    code = "rate-limited"
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many requests from this system; retry later")
        self.headers = retry_after_header(retry_after)


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[int, tuple[float, float]] = {}

    def take(self, system_id: int) -> None:
        now = time.monotonic()
        tokens, since = self._buckets.get(system_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - since) * self.rate)
        if tokens < 1.0:
            self._buckets[system_id] = (tokens, now)
            raise RateLimited((1.0 - tokens) / self.rate)
        self._buckets[system_id] = (tokens - 1.0, now)
