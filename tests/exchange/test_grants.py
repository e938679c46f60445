"""Grants: request (system or operator), approve/reject by the owner, revoke; all audited."""

from __future__ import annotations

import json

from sqlalchemy import Engine, text

from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.people.factories import set_owner, steward
from tests.registry.factories import make_org


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [
            json.loads(b)["action"]
            for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        ]


def test_lifecycle(client, operator, engine) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator)
    token = get_token(client, consumer)
    grant = request_grant(client, token)
    assert grant["status"] == "requested" and grant["communes"] > 50
    assert grant["consumer_system"] == "portal"
    approved = approve(client, operator, grant["id"])
    assert approved["status"] == "approved" and approved["decided_by"].startswith("person:")
    again = client.post(f"/api/v1/grants/{grant['id']}/approve", headers=steward(client, "H33.01"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "grant-not-pending"
    revoked = client.post(f"/api/v1/grants/{grant['id']}/revoke", headers=operator)
    assert revoked.json()["status"] == "revoked"
    mine = client.get("/api/v1/grants", headers=token).json()["items"]
    assert [g["id"] for g in mine] == [grant["id"]]
    grant_actions = [a for a in _actions(engine) if a.startswith("grant.")]
    assert grant_actions == ["grant.request", "grant.approve", "grant.revoke"]


def test_system_cannot_approve_and_sees_only_its_grants(client, operator) -> None:
    make_org(client, operator, "H33.01")
    first = make_consumer(client, operator, "H33.02", "a")
    second = make_consumer(client, operator, "H33.03", "b")
    grant = request_grant(client, get_token(client, first))
    other = get_token(client, second)
    response = client.post(
        f"/api/v1/grants/{grant['id']}/approve", json={"organisation": "H33.01"}, headers=other
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "not-permitted"
    assert client.get(f"/api/v1/grants/{grant['id']}", headers=other).status_code == 403
    assert client.get("/api/v1/grants", headers=other).json()["items"] == []


def test_reject_and_validation(client, operator) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator))
    bad = client.post(
        "/api/v1/grants",
        headers=token,
        json={
            "dataset": "citizen",
            "fields": ["full_name"],
            "units": ["99999"],
            "purposes": ["gossip"],
            "expires_on": "2020-01-01",
        },
    )
    assert bad.status_code == 422
    codes = {d["code"] for d in bad.json()["error"]["details"]}
    assert {"unknown-purpose", "in-the-past"} <= codes
    nul = {  # a NUL byte is refused before the database sees it (PostgreSQL cannot store it)
        "dataset": "citi\x00zen",
        "fields": ["full_name"],
        "units": ["33"],
        "purposes": ["public-service"],
        "expires_on": "2099-01-01",
    }
    for field in ("dataset", "consumer_organisation", "consumer_system"):
        sent = nul | ({} if field == "dataset" else {"dataset": "citizen", field: "H\x00"})
        refused = client.post("/api/v1/grants", headers=token, json=sent)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["details"][0]["field"].endswith(field)
    grant = request_grant(client, token)
    set_owner(client, operator, "citizen", "H33.01")
    rejected = client.post(
        f"/api/v1/grants/{grant['id']}/reject",
        json={"reason": "no legal basis"},
        headers=steward(client, "H33.01"),
    )
    assert rejected.json()["status"] == "rejected"


def test_purposes_are_seeded(client) -> None:
    codes = {p["code"] for p in client.get("/api/v1/purposes").json()}
    assert {"public-service", "health-care", "law-enforcement-court-order"} <= codes
