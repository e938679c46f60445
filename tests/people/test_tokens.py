"""Personal access tokens through real HTTP: made from a signed-in session (the sign-in hook),
shown once, hashed at rest, listed without the secret, scoped (``api``, ``read``, permissions),
expiring and revocable; every use authenticates as the person, never beyond their roles now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update

from lienthong.config import Settings
from lienthong.db import transaction, utcnow
from lienthong.http.callers import SAFE_METHODS, SignedIn
from lienthong.http.permissions import ROLE_PERMISSIONS, Role
from lienthong.people.models import PersonalToken
from lienthong.web.app import create_app
from tests.people.factories import ISSUER, make_person, pat
from tests.people.route_matrix import OTHER, OWN, Answer, disagreements
from tests.registry.factories import make_org

SESSION = "x-test-session"  # what the test's sign-in reads in place of a session cookie


@pytest.fixture
def signed_in(client: TestClient) -> Iterator[TestClient]:
    """The application with a sign-in that says who is signed in from a request header."""

    def hook(request: Request) -> SignedIn | None:
        subject = request.headers.get(SESSION)
        return SignedIn(ISSUER, subject) if subject else None

    client.app.state.signed_in = hook  # type: ignore[attr-defined]
    yield client


def test_a_signed_in_person_makes_lists_uses_and_revokes_a_token(
    signed_in: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    client = signed_in
    make_org(client, operator, "H33.01")
    make_person(client, "an", [(Role.organisation_admin, "H33.01")], name="Trần Thị An")
    session = {SESSION: "an"}
    me = client.get("/api/v1/people/me", headers=session).json()
    assert me["name"] == "Trần Thị An" and me["roles"] == [
        {"role": "organisation-admin", "organisation": "H33.01"}
    ]
    made = client.post(
        "/api/v1/people/me/tokens",
        json={"name": "laptop", "scopes": ["registry.read"], "days": 7},
        headers=session,
    )
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert secret.startswith("lt_pat_")
    assert made.json()["scopes"] == ["people.self", "registry.read"]
    bearer = {"Authorization": f"Bearer {secret}"}
    # Hashed at rest: the secret is nowhere in the database, its SHA-256 is.
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT digest FROM people_tokens")).scalars().all()
        logged = conn.execute(text("SELECT body FROM audit_entries")).scalars().all()
    assert secret not in stored and len(stored[0]) == 64
    assert not any(secret in body for body in logged)
    listed = client.get("/api/v1/people/me/tokens", headers=bearer).json()
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    # Every use is the person, within the token's scopes.
    assert client.get("/api/v1/people/me", headers=bearer).json()["id"] == me["id"]
    assert client.get("/api/v1/organisations", headers=bearer).status_code == 200
    scoped = client.post("/api/v1/organisations/H33.01/systems", json={}, headers=bearer)
    assert scoped.status_code == 403 and scoped.json()["error"]["code"] == "not-permitted"
    assert (
        client.post(  # its own roles allow it from the session
            "/api/v1/organisations/H33.01/systems", json={}, headers=session
        ).status_code
        == 422
    )
    # A token does not make the next one.
    again = client.post("/api/v1/people/me/tokens", json={"name": "x"}, headers=bearer)
    assert again.status_code == 403 and again.json()["error"]["code"] == "sign-in-required"
    revoked = client.post(f"/api/v1/people/me/tokens/{listed[0]['id']}/revoke", headers=session)
    assert revoked.json()["revoked_at"] is not None
    after = client.get("/api/v1/people/me", headers=bearer)
    assert after.status_code == 401 and after.json()["error"]["code"] == "invalid-token"


def test_scopes_are_limited_to_the_persons_roles(
    signed_in: TestClient, operator: dict[str, str]
) -> None:
    make_person(signed_in, "leader", [(Role.leader, None)])
    response = signed_in.post(
        "/api/v1/people/me/tokens",
        json={"name": "x", "scopes": ["grants.decide"], "days": 400},
        headers={SESSION: "leader"},
    )
    assert response.status_code == 422
    assert {d["code"] for d in response.json()["error"]["details"]} == {
        "scope-not-held",
        "token-lifetime",
    }
    nobody = signed_in.get("/api/v1/people/me", headers={SESSION: "unknown-person"})
    assert nobody.status_code == 401 and nobody.json()["error"]["code"] == "missing-token"


def test_an_expired_token_is_refused(client: TestClient, engine: Engine) -> None:
    person = make_person(client, "exp", [(Role.leader, None)])
    headers = pat(client, person, days=1)
    assert client.get("/api/v1/people/me", headers=headers).status_code == 200
    with transaction(engine) as session:  # a day later
        session.execute(update(PersonalToken).values(expires_at=utcnow()))
    refused = client.get("/api/v1/people/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid-token"


def test_a_token_loses_what_its_person_loses(client: TestClient, operator: dict[str, str]) -> None:
    person = make_person(client, "aud", [(Role.auditor, None)])
    headers = pat(client, person)
    assert client.get("/api/v1/audit/subjects/033090000001", headers=headers).status_code == 200
    removed = client.post(
        f"/api/v1/people/{person}/roles/remove", json={"role": "auditor"}, headers=operator
    )
    assert removed.status_code == 200 and removed.json()["roles"] == []
    refused = client.get("/api/v1/audit/subjects/033090000001", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not-permitted"


def test_scopes_are_api_read_or_permissions_and_nothing_else(
    signed_in: TestClient, operator: dict[str, str]
) -> None:
    make_org(signed_in, operator, "H33.01")
    make_person(signed_in, "st", [(Role.data_steward, "H33.01")])
    session = {SESSION: "st"}
    held = sorted(p.value for p in ROLE_PERMISSIONS[Role.data_steward])

    def made(scopes: list[str] | None) -> Any:
        body = {"name": "x", "days": 1} | ({"scopes": scopes} if scopes is not None else {})
        return signed_in.post("/api/v1/people/me/tokens", json=body, headers=session)

    assert made(None).json()["scopes"] == held
    assert made(["api"]).json()["scopes"] == held
    assert made(["read"]).json()["scopes"] == [*held, "read"]
    assert made(["read", "grants.read"]).json()["scopes"] == ["grants.read", "people.self", "read"]
    unknown = made(["registry.read", "write", "admin"])
    assert unknown.status_code == 422
    details = unknown.json()["error"]["details"]
    assert [(d["field"], d["code"]) for d in details] == [("scopes", "unknown-scope")] * 2
    assert "'write' is not a scope" in details[0]["message"]


def test_a_read_token_reads_what_its_person_holds_and_changes_nothing(
    settings: Settings, engine: Engine, operator: dict[str, str]
) -> None:
    """Generated from the routes: a read-only token of a platform operator is allowed exactly
    the operator's permissions on the safe methods."""
    unlimited = settings.model_copy(update={"source_refusal_limit": 0})
    with TestClient(create_app(unlimited, engine=engine)) as client:
        make_org(client, operator, OWN)
        make_org(client, operator, OTHER)
        person = make_person(client, "op-read", [(Role.platform_operator, None)])
        headers = pat(client, person, scopes=["read"])

        def call(method: str, path: str) -> Answer:
            return client.request(method, path, json={}, headers=headers)

        assert not disagreements(
            call,
            lambda method, permission, _org: (
                method in SAFE_METHODS and permission in ROLE_PERMISSIONS[Role.platform_operator]
            ),
        )
        refused = client.post("/api/v1/organisations", json={}, headers=headers)
        assert "only reads" in refused.json()["error"]["message"]
        # Still never more than the person holds now.
        client.post(
            f"/api/v1/people/{person}/roles/remove",
            json={"role": "platform-operator"},
            headers=operator,
        )
        gone = client.get("/api/v1/organisations", headers=headers)
        assert gone.status_code == 403 and gone.json()["error"]["code"] == "not-permitted"
