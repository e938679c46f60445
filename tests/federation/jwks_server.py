"""A JWKS served on 127.0.0.1 for the peers' tests: its document can change between fetches."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from lienthong.security.tokens import public_jwk


def jwks_of(*kids: str) -> dict[str, Any]:
    return {
        "keys": [public_jwk(k, ec.generate_private_key(ec.SECP256R1()).public_key()) for k in kids]
    }


class Served:
    def __init__(self) -> None:
        self.body: bytes = json.dumps(jwks_of("k1")).encode()
        self.fetches = 0


@contextmanager
def jwks_server() -> Iterator[tuple[str, Served]]:
    """The base URL of a peer whose ``/.well-known/jwks.json`` answers ``served.body``."""
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.fetches += 1
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
