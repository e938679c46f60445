"""Publishing change events to NATS JetStream, from synchronous code.

The delivery worker is synchronous (SQLAlchemy sessions); nats-py is asyncio. A link owns an
event loop in a thread of its own and one connection, and publishes a batch there, waiting for
JetStream's acknowledgement of each message: the stream has stored it (or had it already —
``Nats-Msg-Id`` deduplication), which is what lets the worker advance the subscription.

One stream per subject (``LIENTHONG_CHANGES_`` + a digest of the subject), made on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import threading
from collections.abc import Sequence
from typing import Any

import nats
from nats.js.errors import BadRequestError

from lienthong.webhooks import MAX_RESPONSE_TEXT, Attempt

TIMEOUT = 10.0


def stream_name(subject: str) -> str:
    """The JetStream stream that holds ``subject``'s messages."""
    return "LIENTHONG_CHANGES_" + hashlib.sha256(subject.encode()).hexdigest()[:20]


class NatsLink:
    """One connection to ``url``, used from any thread (calls are run on the link's loop)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._nc: Any = None
        self._streams: set[str] = set()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(TIMEOUT * 3)

    async def _js(self) -> Any:
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(
                self.url, connect_timeout=TIMEOUT, max_reconnect_attempts=2
            )
            self._streams.clear()
        return self._nc.jetstream(timeout=TIMEOUT)

    async def _publish(self, subject: str, messages: Sequence[tuple[str, bytes]]) -> int:
        js = await self._js()
        name = stream_name(subject)
        if name not in self._streams:
            try:
                await js.add_stream(name=name, subjects=[subject])
            except BadRequestError:
                await js.stream_info(name)  # made already (perhaps with other settings)
            self._streams.add(name)
        stored = 0
        for msg_id, body in messages:
            ack = await js.publish(subject, body, headers={"Nats-Msg-Id": msg_id})
            stored += 0 if ack.duplicate else 1
        return stored

    def publish(self, subject: str, messages: Sequence[tuple[str, bytes]]) -> Attempt:
        """Publish each ``(message id, body)`` in order; ok once JetStream acknowledged all."""
        try:
            self._run(self._publish(subject, messages))
        except Exception as exc:  # any failure is the receiver's: retried, then dead-lettered
            self._run(self._drop())
            return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:MAX_RESPONSE_TEXT])
        return Attempt(True, None, None)

    async def _drop(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close: gone
                await self._nc.close()
            self._nc = None

    def close(self) -> None:
        self._run(self._drop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(TIMEOUT)
