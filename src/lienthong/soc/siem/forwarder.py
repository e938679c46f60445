"""Follow the audit log and send every new entry to the SIEM's syslog receiver, in order.

The forwarder's position (soc_positions, one row per target) is the last entry the receiver
has acknowledged (transport.Connection.acknowledged); it advances only then, in its own
transaction. When the receiver is down or drops the connection, the forwarder waits (backoff
doubling from ``backoff_min`` to ``backoff_max``), reconnects and sends again from its
position: nothing is lost, and what is sent twice is at most the unacknowledged tail, which the
SIEM can drop by ``event.sequence``.

A TCP acknowledgement says the receiving host has the bytes, not that the receiving program
read them: a receiver that stops with its last bytes unread loses them. So after a failed
connection the forwarder also sends again the last batch acknowledged on it (in memory: after
the forwarder itself restarts, only the unacknowledged tail is sent again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from lienthong.soc import positions
from lienthong.soc.siem.export import Origin, audit_message, entries_after
from lienthong.soc.siem.syslog import frame
from lienthong.soc.siem.transport import Connection, Target

log = logging.getLogger("lienthong.soc.siem")


@dataclass
class Forwarder:
    engine: Engine
    target: Target
    origin: Origin
    ca_file: Path | None = None
    batch: int = 500
    ack_timeout: float = 10.0
    backoff_min: float = 0.2
    backoff_max: float = 30.0
    poll: float = 1.0
    _conn: Connection | None = None
    _last_start: int | None = None  # the position before the last acknowledged batch
    _replay_from: int | None = None  # after a failure: send again from here

    @property
    def name(self) -> str:
        return f"siem:{self.target}"

    def position(self) -> int:
        with self.engine.connect() as conn:
            return positions.position(conn, self.name)

    def send_batch(self) -> int:
        """Send the next batch after the position and advance it once acknowledged; the
        number of entries sent (0: nothing new). Raises OSError when the receiver fails."""
        with self.engine.connect() as conn:
            stored = positions.position(conn, self.name)
            after = stored if self._replay_from is None else min(stored, self._replay_from)
            found = entries_after(conn, after, self.batch)
        if not found:
            return 0
        payload = b"".join(frame(audit_message(e, self.origin).render()) for e in found)
        if self._conn is None:
            self._conn = Connection.open(self.target, ca_file=self.ca_file)
        self._conn.send(payload)
        self._conn.acknowledged(self.ack_timeout)
        with self.engine.begin() as conn:
            positions.advance(conn, self.name, max(stored, found[-1].seq))
        self._last_start, self._replay_from = after, None
        return len(found)

    def drop_connection(self) -> None:
        """Close the connection; the next batch starts with the last one acknowledged on it."""
        if self._replay_from is None:
            self._replay_from = self._last_start
        self._last_start = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def run(self, stop: threading.Event, *, until: Callable[[], bool] | None = None) -> None:
        """Forward until ``stop`` is set (or ``until()`` is true once nothing is left)."""
        delay = self.backoff_min
        try:
            while not stop.is_set():
                try:
                    sent = self.send_batch()
                except Exception as exc:  # the receiver or the database: wait, then again
                    self.drop_connection()
                    log.warning(
                        "syslog to %s failed (%s); again in %.1f s", self.target, exc, delay
                    )
                    stop.wait(delay)
                    delay = min(delay * 2, self.backoff_max)
                    continue
                delay = self.backoff_min
                if sent == 0:
                    if until is not None and until():
                        return
                    stop.wait(self.poll)
        finally:
            self.drop_connection()


def start_background(forwarder: Forwarder) -> tuple[threading.Thread, threading.Event]:
    """Run the forwarder in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=forwarder.run, args=(stop,), name="siem-forwarder", daemon=True
    )
    thread.start()
    return thread, stop
