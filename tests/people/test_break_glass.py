"""The shared operator token is break-glass: every use audited (``operator.break-glass``,
searchable), and in production refused once a person holds the platform-operator role."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.http.permissions import Role
from lienthong.web.app import create_app
from tests.contract.test_headers import _provision
from tests.people.factories import make_person, pat, person_headers

STRONG = secrets.token_urlsafe(32)


def _break_glass(engine: Engine) -> list[dict[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"] == "operator.break-glass"]


def test_every_use_is_audited_and_an_auditor_finds_it(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    assert client.get("/api/v1/organisations", headers=operator).status_code == 200
    assert client.get("/api/v1/grants?limit=5", headers=operator).status_code == 200
    uses = _break_glass(engine)
    assert [(u["route"], u["method"], u["outcome"]) for u in uses] == [
        ("/api/v1/organisations", "GET", "ok"),
        ("/api/v1/grants", "GET", "ok"),
    ]
    assert uses[0]["actor"] == {"kind": "operator", "break_glass": True}
    auditor = person_headers(client, "aud", Role.auditor)
    found = client.get("/api/v1/audit/entries?action=operator.break-glass", headers=auditor)
    assert found.status_code == 200, found.text
    assert [e["seq"] for e in found.json()["items"]] == [u["seq"] for u in uses]
    leader = person_headers(client, "lead", Role.leader)
    refused = client.get("/api/v1/audit/entries?action=operator.break-glass", headers=leader)
    assert refused.status_code == 403


def test_production_closes_it_once_a_person_operator_exists(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    live = Settings(
        environment="production",
        data_dir=tmp_path / "data",
        database_url=settings.resolved_database_url,
        operator_token=STRONG,
        audit_subject_key=secrets.token_urlsafe(32),
        cursor_key=secrets.token_urlsafe(32),
        auto_upgrade=False,
    )
    _provision(live)
    glass = {"Authorization": f"Bearer {STRONG}"}
    with TestClient(create_app(live, engine=engine)) as api:
        # Bootstrap: no person operator yet, the token creates the first one.
        added = api.post(
            "/api/v1/people",
            json={"issuer": "https://sso.example", "subject": "op-1", "name": "Lê Văn Minh"},
            headers=glass,
        )
        assert added.status_code == 201, added.text
        person = added.json()["id"]
        role = api.post(
            f"/api/v1/people/{person}/roles", json={"role": "platform-operator"}, headers=glass
        )
        assert role.status_code == 200, role.text
        closed = api.get("/api/v1/organisations", headers=glass)
        assert closed.status_code == 401 and closed.json()["error"]["code"] == "break-glass-closed"
        assert api.get("/api/v1/organisations", headers=pat(api, person)).status_code == 200
    outcomes = [u["outcome"] for u in _break_glass(engine)]
    assert outcomes == ["ok", "ok", "break-glass-closed"]


def test_outside_production_it_stays_open_with_a_person_operator(
    client: TestClient, operator: dict[str, str]
) -> None:
    make_person(client, "op", [(Role.platform_operator, None)])
    assert client.get("/api/v1/organisations", headers=operator).status_code == 200
