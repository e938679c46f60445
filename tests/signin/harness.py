"""A real OpenID provider (the npm package oidc-provider, tests/signin/provider) in its own
node process on 127.0.0.1, the platform under uvicorn on 127.0.0.1, and a scripted browser
that signs in through the provider's own login and consent forms.

The provider is installed by ``make oidc-provider`` (``npm ci`` from the lock file; ``make
test`` runs it where npm exists). Nothing is downloaded here: without node or the installed
package, the tests that need the provider skip and say why.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from joserfc.jwk import ECKey
from pydantic import SecretStr
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.signin.views import CSRF_COOKIE, CSRF_HEADER
from lienthong.web.app import create_app

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "lienthong"
CLIENT_SECRET = "lienthong-test-client-secret-0123456789"
OTHER_CLIENT = "other-portal"
OTHER_REDIRECT = "http://127.0.0.1:9/other/callback"  # never fetched: the test stops there
CITIZEN = "001090000123"  # the test provider's 12-digit logins carry a personal_id claim


def provider_missing() -> str | None:
    """Why the provider cannot run here, or None."""
    if shutil.which("node") is None:
        return (
            "node is not installed: the sign-in tests need a real OpenID provider (oidc-provider)"
        )
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "the test OpenID provider is not installed: run `make oidc-provider` (npm ci)"
    return None


needs_provider = pytest.mark.skipif(provider_missing() is not None, reason=provider_missing() or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_signing_key() -> dict[str, Any]:
    key = ECKey.generate_key("P-256", private=True, auto_kid=True)
    return dict(key.as_dict(private=True)) | {"use": "sig", "alg": "ES256"}


@dataclass
class Provider:
    """One oidc-provider process; ``restart`` keeps the port (and may change the key)."""

    folder: Path
    port: int
    app_url: str
    key: dict[str, Any] = field(default_factory=new_signing_key)
    clock_offset_seconds: int = 0
    id_token_ttl_seconds: int = 3600
    advertised_issuer: str | None = None
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> dict[str, Any]:
        ours = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{self.app_url}/signin/callback"],
            "post_logout_redirect_uris": [f"{self.app_url}/signin/me"],
            "id_token_signed_response_alg": "ES256",
        }
        other = {
            "client_id": OTHER_CLIENT,
            "client_secret": "other-portal-secret-0123456789abcdef",
            "redirect_uris": [OTHER_REDIRECT],
            "id_token_signed_response_alg": "ES256",
        }
        return {
            "port": self.port,
            "issuer": self.issuer,
            "clients": [ours, other],
            "signing_key": self.key,
            "clock_offset_seconds": self.clock_offset_seconds,
            "id_token_ttl_seconds": self.id_token_ttl_seconds,
            "advertised_issuer": self.advertised_issuer,
        }

    def start(self) -> None:
        path = self.folder / f"provider-{self.port}.json"
        path.write_text(json.dumps(self.config()), "utf-8")
        self.process = subprocess.Popen(
            ["node", str(PROVIDER_DIR / "provider.mjs"), str(path)],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # the provider prints one line when listening
        assert json.loads(line or "{}").get("ready"), "the OpenID provider did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self, *, key: dict[str, Any] | None = None) -> None:
        self.stop()
        if key is not None:
            self.key = key
        self.start()


@contextmanager
def provider(folder: Path, app_url: str, **options: Any) -> Iterator[Provider]:
    running = Provider(folder=folder, port=free_port(), app_url=app_url, **options)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def signin_settings(settings: Settings, app_url: str, issuer: str) -> Settings:
    return settings.model_copy(
        update={
            "signin_issuer": issuer,
            "signin_client_id": CLIENT_ID,
            "signin_client_secret": SecretStr(CLIENT_SECRET),
            "signin_redirect_url": f"{app_url}/signin/callback",
            "signin_scopes": "openid profile personal_id",
            "signin_post_logout_url": f"{app_url}/signin/me",
            "signin_timeout_seconds": 3.0,
            "source_refusal_limit": 0,
        }
    )


@dataclass
class Served:
    url: str
    app: FastAPI


@contextmanager
def serve(settings: Settings, engine: Engine, port: int) -> Iterator[Served]:
    """The platform under uvicorn on 127.0.0.1:``port``."""
    app = create_app(settings, engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(30)


_FORM = re.compile(r'<form[^>]*\saction="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class Browser:
    """A scripted browser: the provider's cookies in its jar; the platform's ``__Host-``
    cookies (Secure, which a cookie jar keeps from plain http) carried by hand."""

    def __init__(self, app_url: str, **headers: str) -> None:
        self.app_url = app_url
        self.http = httpx.Client(timeout=15, headers=headers)
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []  # every Set-Cookie the platform sent, as sent
        self.prompts: list[str] = []  # the provider's interactions met (login, consent)

    def close(self) -> None:
        self.http.close()

    def app(self, method: str, url: str, *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        """A request to the platform with its cookies; a change carries the session's
        anti-forgery token from its cookie, as the platform's pages send it (unless ``csrf``
        is False: a page of another site, which cannot read that cookie)."""
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = kwargs.pop("headers", {}) | ({"cookie": cookie} if cookie else {})
        if csrf and method not in ("GET", "HEAD", "OPTIONS") and CSRF_COOKIE in self.cookies:
            headers[CSRF_HEADER] = self.cookies[CSRF_COOKIE]
        response = self.http.request(method, urljoin(self.app_url, url), headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value.strip('"'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def at_provider(self, url: str, login: str, stop_at: str) -> str:
        """Follow the provider from ``url`` through its forms until it sends the browser to
        ``stop_at``; that URL."""
        location = url
        while not location.startswith(stop_at):
            response = self.http.get(location)
            while response.status_code == 200:
                action, form = _FORM.findall(response.text)[0]
                fields = dict(_HIDDEN.findall(form))
                self.prompts.append(fields.get("prompt", "logout"))
                if fields.get("prompt") == "login":
                    fields |= {"login": login, "password": "any"}
                if "xsrf" in fields:  # the provider's logout confirmation
                    fields["logout"] = "yes"
                response = self.http.post(urljoin(str(response.url), action), data=fields)
            assert response.status_code in (302, 303), response.text
            location = urljoin(str(response.url), response.headers["location"])
        return location

    def sign_in(self, login: str = CITIZEN) -> httpx.Response:
        """The whole sign-in; the platform's answer to the provider's callback."""
        started = self.app("GET", "/signin/login")
        assert started.status_code == 302, started.text
        callback = self.at_provider(started.headers["location"], login, self.app_url)
        return self.app("GET", callback)


@contextmanager
def browser(app_url: str, **headers: str) -> Iterator[Browser]:
    opened = Browser(app_url, **headers)
    try:
        yield opened
    finally:
        opened.close()
