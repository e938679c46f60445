"""The delivery worker: passes over the due subscriptions until told to stop.

One worker delivers at a time in a database (an advisory lock that dies with its holder), so
two never send one subscription's batches out of order; a second one waits for the lock.
Runnable as ``lienthong changes deliver`` and as a background thread of the API process
(``LIENTHONG_CHANGES_WORKER``).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from lienthong.backends import LockHeld, backend_for
from lienthong.changes.delivery import BATCH, Outcome, Retry, Senders, deliver_due
from lienthong.config import Settings
from lienthong.webhooks import next_attempt_at

LOCK = "changes.deliver"
log = logging.getLogger(__name__)


def run(
    engine: Engine,
    settings: Settings,
    *,
    stop: threading.Event,
    interval: float = 0.5,
    once: bool = False,
    retry: Retry = next_attempt_at,
    limit: int = BATCH,
) -> Outcome:
    """Deliver until ``stop`` is set (``once``: until nothing is due). Idle passes wait
    ``interval`` seconds."""
    total = Outcome()
    while not stop.is_set():
        try:
            with backend_for(engine).exclusive(engine, LOCK):
                _loop(
                    engine,
                    settings,
                    total,
                    stop=stop,
                    interval=interval,
                    once=once,
                    retry=retry,
                    limit=limit,
                )
                return total
        except LockHeld:
            if once:
                return total
            stop.wait(interval)  # another worker delivers; take over when it stops
    return total


def _loop(
    engine: Engine,
    settings: Settings,
    total: Outcome,
    *,
    stop: threading.Event,
    interval: float,
    once: bool,
    retry: Retry,
    limit: int,
) -> None:
    senders = Senders(settings)
    try:
        while not stop.is_set():
            done = deliver_due(engine, settings, senders, retry=retry, limit=limit)
            total.add(done)
            if done.batches or done.skipped or done.failed:
                continue
            if once:
                return
            stop.wait(interval)
    finally:
        senders.close()


class Background:
    """The worker as a daemon thread of the API process."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(engine, settings), name="changes-worker", daemon=True
        )

    def _run(self, engine: Engine, settings: Settings) -> None:
        while not self.stop.is_set():
            try:
                run(engine, settings, stop=self.stop)
            except Exception:  # a database outage: log it and try again, never die silently
                log.exception("change delivery failed; retrying")
                self.stop.wait(5.0)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(15.0)
