"""Refusals are audited: a wrong grant type, a 401 on an operator endpoint or the subject report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text


def entries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [json.loads(body) for (body,) in rows]


@pytest.mark.parametrize("grant_type", ["password", None])
def test_token_request_with_a_wrong_grant_type_is_audited(
    client: TestClient, engine: Engine, grant_type: str | None
) -> None:
    form = {"client_id": "ltc_someone", "client_secret": "x"}
    if grant_type:
        form["grant_type"] = grant_type
    response = client.post("/oauth/token", data=form)
    assert response.status_code == 400
    [entry] = [e for e in entries(engine) if e["action"] == "auth.token"]
    assert entry["outcome"] == ("unsupported-grant-type" if grant_type else "invalid-request")
    assert entry["actor"] == {"kind": "anonymous"} and entry["ip"] == "testclient"
    assert entry["client_id"] == "ltc_someone"


@pytest.mark.parametrize(
    ("method", "path", "route", "headers", "code"),
    [
        ("POST", "/api/v1/organisations", "/api/v1/organisations", {}, "missing-token"),
        (
            "GET",
            "/api/v1/audit/subjects/033090000001",
            "/api/v1/audit/subjects/{personal_id}",
            {"Authorization": "Bearer not-the-operator-token-at-all"},
            "invalid-token",
        ),
    ],
)
def test_a_401_on_an_operator_endpoint_is_audited(
    client: TestClient,
    engine: Engine,
    method: str,
    path: str,
    route: str,
    headers: dict[str, str],
    code: str,
) -> None:
    response = client.request(method, path, headers=headers, json={})
    assert response.status_code == 401 and response.json()["error"]["code"] == code
    [entry] = entries(engine)
    assert entry["action"] == "operator.denied" and entry["outcome"] == code
    assert entry["actor"] == {"kind": "anonymous"}
    assert (entry["route"], entry["method"], entry["ip"]) == (route, method, "testclient")
    assert "033090000001" not in json.dumps(entry)  # the template, never the person's ID
