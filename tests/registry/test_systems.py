from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lienthong.db import transaction
from lienthong.registry.models import Credential
from lienthong.registry.systems import verify_secret
from tests.registry.factories import make_org, make_system

ORG = "/api/v1/organisations/H33"


def test_system_code_unique_within_organisation(
    client: TestClient, operator: dict[str, str]
) -> None:
    make_org(client, operator, "H33")
    make_org(client, operator, "T33", sector="tax")
    make_system(client, operator, "H33", "his")
    make_system(client, operator, "T33", "his")  # same code, other organisation: fine
    again = client.post(f"{ORG}/systems", json={"code": "his", "name": "x"}, headers=operator)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "system-exists")


def test_status_changes(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "H33")
    made = make_system(client, operator, "H33", "his", status="connected")
    assert made["status"] == "connected"
    bad = client.patch(f"{ORG}/systems/his", json={"status": "flying"}, headers=operator)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "status"


def test_secret_shown_once_and_stored_hashed(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    make_org(client, operator, "H33")
    make_system(client, operator, "H33", "his")
    issued = client.post(f"{ORG}/systems/his/credentials", headers=operator)
    assert issued.status_code == 201
    secret, client_id = issued.json()["client_secret"], issued.json()["client_id"]
    with transaction(engine) as session:
        stored = session.scalars(
            select(Credential.secret_hash).where(Credential.client_id == client_id)
        ).one()
    assert secret not in stored and verify_secret(secret, stored)
    listed = client.get(f"{ORG}/systems/his/credentials", headers=operator).json()["items"]
    assert [c["client_id"] for c in listed] == [client_id]
    assert "client_secret" not in listed[0]


def test_rotate_and_revoke(client: TestClient, operator: dict[str, str], engine: Engine) -> None:
    make_org(client, operator, "H33")
    make_system(client, operator, "H33", "his")
    first = client.post(f"{ORG}/systems/his/credentials", headers=operator).json()
    base = f"{ORG}/systems/his/credentials/{first['client_id']}"
    rotated = client.post(f"{base}/rotate", headers=operator).json()
    assert rotated["client_id"] == first["client_id"]
    assert rotated["client_secret"] != first["client_secret"]
    with transaction(engine) as session:
        stored = session.scalars(select(Credential.secret_hash)).one()
    assert not verify_secret(first["client_secret"], stored)
    assert verify_secret(rotated["client_secret"], stored)
    revoked = client.post(f"{base}/revoke", headers=operator).json()
    assert revoked["revoked_at"] is not None
    again = client.post(f"{base}/rotate", headers=operator)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "credential-revoked")


def test_unknown_system_is_404(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "H33")
    assert client.get(f"{ORG}/systems/nope", headers=operator).status_code == 404
    assert client.get("/api/v1/organisations/NOPE/systems", headers=operator).status_code == 404
