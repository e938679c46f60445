"""Real receivers on 127.0.0.1: a Standard Webhooks endpoint that verifies each message with
the ``standardwebhooks`` package, and an SMTP server (aiosmtpd) that keeps what it is sent."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.local_http import serving


@dataclass
class Received:
    secret: str = ""
    fail_first: int = 0  # answer 503 to this many messages before accepting
    verified: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    refused: int = 0


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, Received]]:
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            got.ids.append(self.headers["webhook-id"])
            if got.fail_first > 0:
                got.fail_first -= 1
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"busy")
                return
            try:
                payload = Webhook(got.secret).verify(body, dict(self.headers.items()))
            except WebhookVerificationError:
                got.refused += 1
                self.send_response(401)
                self.end_headers()
                return
            got.verified.append(payload if isinstance(payload, dict) else json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    with serving(Handler) as base:
        yield f"{base}/hooks/soc?token=abc", got


class _Keep:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    keep = _Keep()
    with socket.socket() as probe:  # a free port: the controller checks it by connecting
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(keep, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, keep.messages
    finally:
        controller.stop()
