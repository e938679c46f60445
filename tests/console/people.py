"""Signed-in people for the console: a person with roles (the people services) and a browser
session opened for them by the sign-in's own service, as the provider's callback opens it."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from lienthong.db import utcnow
from lienthong.http.permissions import Role
from lienthong.signin.service import SignedIn, open_session
from lienthong.signin.views import SESSION_COOKIE
from tests.people.factories import ISSUER, make_person

Roles = list[tuple[Role, str | None]]

LEADER: Roles = [(Role.leader, None)]
OPERATOR: Roles = [(Role.platform_operator, None)]
CITIZEN_ID = "001090000123"


def session_cookie(
    app: FastAPI, subject: str, roles: Roles, *, personal_id: str | None = None
) -> dict[str, str]:
    """``{SESSION_COOKIE: value}`` of a new session for the person ``subject`` holding
    ``roles`` (granted after the person exists, as the operator would)."""
    identity = SignedIn(
        issuer=ISSUER,
        subject=subject,
        name=f"Nguyễn Thị {subject}",
        personal_id=personal_id,
        claims={},
        expires_at=utcnow() + timedelta(hours=1),
    )
    secret = open_session(app.state.sessions, app.state.settings, identity, "127.0.0.1")
    make_person(_Client(app), subject, roles, name=identity.name, personal_id=personal_id)
    return {SESSION_COOKIE: secret}


class _Client:
    """What the people factories read of a test client: its application."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
