"""Persons of the platform signed in through the real OpenID provider, for a whole test module:
one provider, one platform under uvicorn, one database, and one browser session per person
(registered by the operator ahead of their first sign-in, as at a provincial DX centre, given
their roles, then signed in through ``/signin`` with the provider's own forms)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from lienthong.audit.publish import published_path
from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.conftest import OPERATOR_TOKEN, reset_database
from tests.signin.harness import Browser, Provider, free_port, provider, serve, signin_settings

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


class Platform(httpx.Client):
    """Plain HTTP to the platform (the operator, systems); ``app`` for the factories that
    read the application's state."""

    def __init__(self, url: str, app: FastAPI) -> None:
        super().__init__(base_url=url, timeout=30)
        self.app = app


@dataclass
class World:
    url: str
    idp: Provider
    http: Platform
    engine: Engine
    settings: Settings
    signed_in: dict[str, tuple[int, Browser]] = field(default_factory=dict)

    def person(
        self, login: str, roles: list[tuple[Role, str | None]], name: str | None = None
    ) -> tuple[int, Browser]:
        """The person of ``login`` (a 12-digit login is also their personal ID), holding
        ``roles``, signed in once: their id and their browser."""
        if login in self.signed_in:
            return self.signed_in[login]
        body: dict[str, Any] = {
            "issuer": self.idp.issuer,
            "subject": login,
            "name": name or f"Nguyễn Thị {login}",
        }
        if login.isdigit() and len(login) == 12:
            body["personal_id"] = login
        added = self.http.post("/api/v1/people", json=body, headers=OPERATOR)
        assert added.status_code == 201, added.text
        person_id = int(added.json()["id"])
        for role, org in roles:
            given = self.http.post(
                f"/api/v1/people/{person_id}/roles",
                json={"role": role.value, "organisation": org},
                headers=OPERATOR,
            )
            assert given.status_code == 200, given.text
        browser = Browser(self.url)
        assert browser.sign_in(login).status_code == 303
        me = browser.app("GET", "/api/v1/people/me")
        assert me.status_code == 200 and me.json()["id"] == person_id, me.text
        self.signed_in[login] = (person_id, browser)
        return person_id, browser


@contextmanager
def world(settings: Settings, engine: Engine, folder: Path) -> Iterator[World]:
    """The provider, the platform on ``engine`` and the operator's HTTP client; the database
    emptied afterwards (the module's persons, sessions and audit entries with it)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        stack.callback(published_path(settings).unlink, missing_ok=True)
        stack.callback(reset_database, engine)
        idp = stack.enter_context(provider(folder, url))
        served = stack.enter_context(
            serve(signin_settings(settings, url, idp.issuer), engine, port)
        )
        http = stack.enter_context(Platform(url, served.app))
        made = World(url, idp, http, engine, settings)
        try:
            yield made
        finally:
            for _, browser in made.signed_in.values():
                browser.close()
