"""End to end through HTTP: token → refused → grant → refused until approved → granted fields
only, in area only → revocation effective on the next request; the authorization matrix."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


def _audit(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            json.loads(b)
            for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        ]


def test_end_to_end(client: TestClient, operator, engine, citizens) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    token = get_token(client, consumer)
    url = f"/api/v1/data/citizen/{citizens[0]}"
    refused = client.get(url, headers=token | PURPOSE)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no-grant"
    grant = request_grant(client, token, fields=["personal_id", "full_name"], units=["33"])
    assert client.get(url, headers=token | PURPOSE).status_code == 403
    approve(client, operator, grant["id"])
    ok = client.get(
        url, headers=token | PURPOSE | {"X-Request-Id": "req-1", "X-On-Behalf-Of": "officer-7"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"personal_id": citizens[0], "full_name": "Nguyễn Văn 1"}
    assert ok.headers["X-Request-Id"] == "req-1"
    outside = client.get(f"/api/v1/data/citizen/{citizens[5]}", headers=token | PURPOSE)
    missing = client.get("/api/v1/data/citizen/033090999999", headers=token | PURPOSE)
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["error"]["code"] == missing.json()["error"]["code"]
    assert set(outside.json()) == set(missing.json())
    page = client.get("/api/v1/data/citizen?limit=2", headers=token | PURPOSE).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(
        f"/api/v1/data/citizen?limit=10&cursor={page['next_cursor']}", headers=token | PURPOSE
    ).json()
    assert len(page["items"]) + len(rest["items"]) == 5  # the Hà Nội citizen is not listed
    found = client.post(
        "/api/v1/data/citizen/lookup", json={"keys": citizens}, headers=token | PURPOSE
    ).json()
    assert [r["personal_id"] for r in found["items"]] == citizens[:5]
    assert found["missing"] == [citizens[5]]
    wrong = client.get(url, headers=token | {"X-Purpose": "statistics"})
    assert wrong.json()["error"]["code"] == "purpose-not-granted"
    client.post(f"/api/v1/grants/{grant['id']}/revoke", headers=operator)
    after = client.get(url, headers=token | PURPOSE)
    assert after.status_code == 403 and after.json()["error"]["code"] == "no-grant"
    reads = [e for e in _audit(engine) if e["action"] == "data.read" and e["outcome"] == "ok"]
    assert reads[0]["on_behalf_of"] == "officer-7" and reads[0]["request_id"] == "req-1"
    assert citizens[0] not in json.dumps(_audit(engine))  # personal IDs only as keyed hashes
    report = client.get(f"/api/v1/audit/subjects/{citizens[0]}", headers=operator).json()
    # read once by key, once in each list page that held it, once in the lookup
    assert {r["system"] for r in report["items"]} == {"portal"}
    assert all(r["purpose"] == "public-service" for r in report["items"])
    nobody = client.get(f"/api/v1/audit/subjects/{citizens[5]}", headers=operator).json()
    assert nobody["items"] == []


def _endpoints(key: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("GET", f"/api/v1/data/citizen/{key}", None),
        ("GET", "/api/v1/data/citizen", None),
        ("POST", "/api/v1/data/citizen/lookup", {"keys": [key]}),
    ]


@pytest.mark.parametrize("case", ["no-token", "expired", "suspended", "no-grant", "revoked"])
def test_authorization_matrix(client, operator, engine, citizens, settings, case) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    token = get_token(client, consumer)
    if case != "no-grant":
        approve(client, operator, request_grant(client, token)["id"])
        # Warm every cache (token, grants, dataset): the change below must still win.
        warm = client.get(f"/api/v1/data/citizen/{citizens[0]}", headers=token | PURPOSE)
        assert warm.status_code == 200
    headers = token | PURPOSE
    base = f"/api/v1/organisations/{consumer['org']}/systems/{consumer['system']}"
    if case == "no-token":
        headers = dict(PURPOSE)
    elif case == "expired":
        import jwt as pyjwt

        rt = client.app.state.exchange  # type: ignore[attr-defined]
        claims = pyjwt.decode(
            token["Authorization"].split()[1], options={"verify_signature": False}
        )
        old = pyjwt.encode(
            claims | {"exp": 1},
            rt.ring.signing_key,
            algorithm=rt.ring.algorithm,
            headers={"kid": rt.ring.signing_kid, "typ": "at+jwt"},
        )
        headers = {"Authorization": f"Bearer {old}"} | PURPOSE
    elif case == "suspended":
        client.patch(base, json={"status": "suspended"}, headers=operator)
    elif case == "revoked":
        client.post(f"{base}/credentials/{consumer['client_id']}/revoke", headers=operator)
    expected = {
        "no-token": (401, "missing-token"),
        "expired": (401, "token-expired"),
        "suspended": (403, "system-suspended"),
        "no-grant": (403, "no-grant"),
        "revoked": (401, "credential-revoked"),
    }[case]
    for method, url, body in _endpoints(citizens[0]):
        response = client.request(method, url, headers=headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == expected, url
        assert citizens[0] not in response.text
    # Each refusal is in the audit log, with its code (written without making the answer wait).
    assert [e["outcome"] for e in denied(engine, 3)] == [expected[1]] * 3


def denied(engine: Engine, n: int) -> list[dict[str, Any]]:
    """The ``data.denied`` entries, once ``n`` of them are written (refusals do not wait)."""
    deadline = time.monotonic() + 10
    while True:
        found = [e for e in _audit(engine) if e["action"] == "data.denied"]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
