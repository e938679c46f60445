"""A real provider service on 127.0.0.1 (http.server in a thread) and its OpenAPI document."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DOCUMENT = """
openapi: 3.0.3
info:
  title: Land parcels
  version: "2.1"
paths:
  /parcels/{parcel_id}:
    get:
      operationId: getParcel
    delete:
      operationId: deleteParcel
  /parcels:
    post:
      operationId: createParcel
  /parcels/search:
    get:
      operationId: searchParcels
  /slow:
    get:
      operationId: slow
  /big:
    get:
      operationId: big
  /flaky:
    get:
      operationId: flaky
  /health:
    get:
      operationId: health
"""
BIG = 300_000  # bytes the /big operation answers


@dataclass
class Provider:
    url: str
    seen: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False  # /flaky answers 500 while set
    slow_seconds: float = 2.0


def _handler(state: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Set-Cookie", "provider-session=1")
            self.send_header("X-Provider", "land")
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.seen.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body.decode(),
                }
            )
            path = self.path.split("?")[0]
            if path == "/slow":
                time.sleep(state.slow_seconds)
                self._answer(200, b'{"slow":true}')
            elif path == "/big":
                self._answer(200, b"x" * BIG, "text/plain")
            elif path == "/flaky":
                self._answer(500 if state.failing else 200, b'{"flaky":true}')
            elif path == "/health":
                self._answer(200, b'{"ok":true}')
            else:
                echo = {"method": self.command, "path": self.path, "body": body.decode()}
                self._answer(201 if self.command == "POST" else 200, json.dumps(echo).encode())

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


@contextmanager
def running_provider() -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Provider("")))
    server.daemon_threads = True
    state = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
