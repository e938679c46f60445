"""Exchange factories: consumer systems, tokens and grants made through the real API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.people.factories import set_owner, steward
from tests.registry.factories import make_org, make_system


def make_consumer(
    client: TestClient, operator: dict[str, str], org: str = "H33.02", code: str = "portal"
) -> dict[str, str]:
    make_org(client, operator, org)
    make_system(client, operator, org, code)
    return issue_credential(client, operator, org, code)


def issue_credential(
    client: TestClient, operator: dict[str, str], org: str, code: str
) -> dict[str, str]:
    """A credential for a registered system (what get_token takes)."""
    response = client.post(
        f"/api/v1/organisations/{org}/systems/{code}/credentials", headers=operator
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return {
        "org": org,
        "system": code,
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
    }


def get_token(client: TestClient, consumer: dict[str, str]) -> dict[str, str]:
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": consumer["client_id"],
            "client_secret": consumer["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def request_grant(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "dataset": "citizen",
        "fields": ["personal_id", "full_name"],
        "units": ["33"],
        "purposes": ["public-service"],
        "expires_on": (date.today() + timedelta(days=30)).isoformat(),
    } | fields
    response = client.post("/api/v1/grants", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def approve(
    client: TestClient, operator: dict[str, str], grant_id: int, owner: str = "H33.01"
) -> dict[str, Any]:
    """Approve as a data steward of ``owner``, made the dataset's owner (one approval needed)
    unless the dataset has an owner already."""
    grant = client.get(f"/api/v1/grants/{grant_id}", headers=operator).json()
    if grant["approvals_needed"] is None:
        set_owner(client, operator, grant["dataset"], owner, four_eyes=False)
    response = client.post(f"/api/v1/grants/{grant_id}/approve", headers=steward(client, owner))
    assert response.status_code == 200, response.text
    return response.json()
