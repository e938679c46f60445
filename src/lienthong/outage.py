"""An unreachable database: one answer (503 ``database-unavailable`` with ``Retry-After``) and
one log line per interval, however many requests fail meanwhile.

A refused connection, a reset one or a pool that cannot connect surfaces as a driver
``OperationalError``/``InterfaceError`` (wrapped by SQLAlchemy or raw on the read hot path).
Nothing is answered from memory instead: a read whose audit entry cannot be written is refused
(``audit-unavailable``), as before.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from lienthong.errors import DatabaseUnavailable

log = logging.getLogger("lienthong")

RETRY_AFTER_SECONDS = 5
LOG_EVERY_SECONDS = 30.0


class OutageLog:
    """Log the first failure of an interval; count the others into the next line."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = -interval
        self._quiet = 0
        self._lock = threading.Lock()

    def note(self, reason: str) -> bool:
        """Record one failure; True when it was logged."""
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.interval:
                self._quiet += 1
                return False
            quiet, self._quiet, self._last = self._quiet, 0, now
        log.error(
            "database unavailable: %s (%d more failed requests since the last report)",
            reason,
            quiet,
        )
        return True


outages = OutageLog(LOG_EVERY_SECONDS)


def is_unreachable(exc: BaseException, raw: tuple[type[BaseException], ...] = ()) -> bool:
    """True for a lost or refused database connection; ``raw`` are the driver's own classes."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return bool(raw) and isinstance(exc, raw)


def database_unavailable(exc: BaseException) -> DatabaseUnavailable:
    """The 503 for ``exc`` (noted in the outage log, which names the driver's first line)."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0]
    outages.note(f"{type(cause).__name__}: {first}")
    return DatabaseUnavailable(
        "the database is not reachable; try again shortly", retry_after=RETRY_AFTER_SECONDS
    )
