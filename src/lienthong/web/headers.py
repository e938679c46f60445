"""Security headers on every answer, as a pure-ASGI wrapper (cheap on the read hot path).

Every answer: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``Cache-Control: no-store`` (answers carry personal data or credentials; none is to be kept by
a browser or proxy) unless the route set its own, and a Content-Security-Policy that forbids
framing: ``default-src 'none'`` for data, a policy allowing the API docs' assets for HTML,
with ``X-Frame-Options: DENY``. An answer that sets its own policy keeps it (the console's,
stricter: no inline script or style). The ``server`` header is uvicorn's, switched off in
``lienthong serve``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_ASSETS = "https://cdn.jsdelivr.net"
HTML_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {DOCS_ASSETS}; "
    f"style-src 'self' 'unsafe-inline' {DOCS_ASSETS}; img-src 'self' data: "
    "https://fastapi.tiangolo.com; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
).encode()
ALWAYS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
DATA = [*ALWAYS, (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")]
FRAMES = (b"x-frame-options", b"DENY")
HTML = [*ALWAYS, (b"content-security-policy", HTML_POLICY), FRAMES]
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                html = cached = own_policy = False
                for name, value in headers:
                    if name == b"content-type" and value.startswith(b"text/html"):
                        html = True
                    elif name == b"cache-control":
                        cached = True
                    elif name == b"content-security-policy":
                        own_policy = True
                if own_policy:
                    headers += [*ALWAYS, FRAMES]
                else:
                    headers += HTML if html else DATA
                if not cached:
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
