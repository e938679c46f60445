"""A system's credentials in the console: the organisation's administrator lists, issues (the
secret shown once, only its hash stored, and it authenticates), rotates (the old secret stops
working) and revokes, audited with the person as actor; another organisation's administrator
and a data steward are refused; the forms hold the CSRF check."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.http.permissions import Role
from lienthong.registry.models import Credential
from tests.console.people import session_cookie
from tests.ingest.factories import SYSTEM, register_system

PAGE = "/console/registry/systems/H33.02/hoso/credentials"
ADMIN = [(Role.organisation_admin, "H33.02")]


def _as(web: TestClient, subject: str, roles: list[tuple[Role, str | None]]) -> None:
    web.cookies.clear()
    web.cookies.update(session_cookie(web.app, subject, roles))  # type: ignore[arg-type]


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _secret(html: str) -> str:
    found = re.search(r'<code id="secret">([^<]+)</code>', html)
    assert found, html
    return found.group(1)


def _token(web: TestClient, client_id: str, secret: str) -> int:
    return web.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).status_code


def test_an_administrator_issues_rotates_and_revokes(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings, SYSTEM)
    _as(web, "admin", ADMIN)
    systems = web.get("/console/registry/systems")
    assert f'href="{PAGE}"' in systems.text
    page = web.get(PAGE)
    assert page.status_code == 200 and "Thông tin xác thực" in page.text
    issued = web.post(PAGE, data={"csrf": _csrf(page.text)})
    assert issued.status_code == 200 and "chỉ hiện một lần" in issued.text
    secret = _secret(issued.text)
    with transaction(engine) as session:
        stored = session.scalars(select(Credential)).one()
        client_id = stored.client_id
        assert secret not in stored.secret_hash  # only its hash is kept
    assert _token(web, client_id, secret) == 200

    again = web.get(PAGE)
    assert client_id in again.text and secret not in again.text  # shown once
    rotated = web.post(f"{PAGE}/{client_id}/rotate", data={"csrf": _csrf(again.text)})
    assert rotated.status_code == 200
    new_secret = _secret(rotated.text)
    assert new_secret != secret
    assert _token(web, client_id, secret) == 401 and _token(web, client_id, new_secret) == 200

    revoked = web.post(f"{PAGE}/{client_id}/revoke", data={"csrf": _csrf(again.text)})
    assert revoked.status_code == 200 and "Đã thu hồi" in revoked.text
    assert _token(web, client_id, new_secret) == 401
    with engine.connect() as conn:
        bodies = [
            json.loads(b)
            for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        ]
    actions = [b for b in bodies if b["action"].startswith("credential.")]
    assert [b["action"] for b in actions] == [
        "credential.issue",
        "credential.rotate",
        "credential.revoke",
    ]
    assert all(b["actor"]["kind"] == "person" for b in actions)
    assert all(secret not in json.dumps(b) and new_secret not in json.dumps(b) for b in bodies)


def test_a_certificate_credential_is_issued_without_a_secret(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings, SYSTEM)
    _as(web, "admin", ADMIN)
    page = web.get(PAGE)
    assert 'name="tls_client_name"' in page.text
    too_long = web.post(PAGE, data={"csrf": _csrf(page.text), "tls_client_name": "C" * 513})
    assert too_long.status_code == 422 and "tls_client_name" in too_long.text
    with transaction(engine) as session:
        assert session.scalars(select(Credential)).all() == []  # nothing half-written
    name = "CN=hoso,O=H33.02,C=VN"
    issued = web.post(PAGE, data={"csrf": _csrf(page.text), "tls_client_name": f"  {name} "})
    assert issued.status_code == 200 and "xác thực bằng chứng thư số" in issued.text
    assert '<code id="secret">' not in issued.text  # no secret to show
    with transaction(engine) as session:
        stored = session.scalars(select(Credential)).one()
        assert stored.tls_client_name == name and stored.secret_hash == ""
        client_id = stored.client_id
    listed = web.get(PAGE)
    assert name in listed.text and f"{client_id}/rotate" not in listed.text  # nothing to rotate
    with engine.connect() as conn:
        bodies = [
            json.loads(b)
            for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        ]
    entry = next(b for b in bodies if b["action"] == "credential.issue")
    assert entry["actor"]["kind"] == "person"
    assert json.dumps(entry).count(name) == 1


def test_others_are_refused(web: TestClient, engine: Engine, settings: Settings) -> None:
    register_system(engine, settings, SYSTEM)
    register_system(engine, settings, "H33.03/khac")
    _as(web, "admin", ADMIN)
    csrf = _csrf(web.get(PAGE).text)
    assert web.post(PAGE, data={"csrf": "forged"}).status_code == 403
    _as(web, "other-admin", [(Role.organisation_admin, "H33.03")])
    assert web.get(PAGE).status_code == 403
    assert (
        'href="/console/registry/systems/H33.03/khac/credentials"'
        in web.get("/console/registry/systems").text
    )
    _as(web, "steward", [(Role.data_steward, "H33.02")])
    assert web.get(PAGE).status_code == 403
    assert web.post(PAGE, data={"csrf": csrf}).status_code == 403
    with transaction(engine) as session:
        assert session.scalars(select(Credential)).first() is None
