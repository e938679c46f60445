"""A real webhook receiver on 127.0.0.1: an HTTP server in a thread that verifies every message
with the ``standardwebhooks`` package (what a consumer would run) and keeps what it accepted."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.local_http import serving


@dataclass
class Received:
    """What the receiver accepted, in arrival order, and what it refused."""

    secret: str | None = None
    fail_next: int = 0  # answer 503 to this many messages first
    fail_always: bool = False
    delay: float = 0.0
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: int = 0
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [e for _, body in self.messages for e in body["events"]]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m for m, _ in self.messages]


def _handler(box: Received) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if box.delay:
                time.sleep(box.delay)
            try:
                assert box.secret is not None
                payload = Webhook(box.secret).verify(body, dict(self.headers.items()))
            except (WebhookVerificationError, AssertionError):
                box.bad_signatures += 1
                self._answer(400)
                return
            with box.lock:
                if box.fail_always or box.fail_next > 0:
                    box.fail_next = max(0, box.fail_next - 1)
                    box.refused += 1
                    self._answer(503)
                    return
                box.messages.append((self.headers["webhook-id"], json.loads(body)))
                assert payload is not None
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiver() -> Iterator[tuple[str, Received]]:
    box = Received()
    with serving(_handler(box)) as base:
        yield f"{base}/hooks/changes", box
