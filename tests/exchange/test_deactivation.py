"""Deactivating an organisation stops its systems: no new token, and tokens already issued are
refused on the next request (every read path); activating it again restores them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


def test_a_deactivated_organisations_systems_get_no_token_and_no_data(
    client: TestClient, operator: dict[str, str], citizens: list[str]
) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    token = get_token(client, consumer)
    approve(client, operator, request_grant(client, token)["id"])
    headers = token | PURPOSE
    reads = [
        ("GET", f"/api/v1/data/citizen/{citizens[0]}", None),
        ("GET", "/api/v1/data/citizen?limit=2", None),
        ("POST", "/api/v1/data/citizen/lookup", {"keys": citizens[:2]}),
    ]
    for method, path, body in reads:
        assert client.request(method, path, json=body, headers=headers).status_code == 200

    done = client.post("/api/v1/organisations/H33.05/deactivate", headers=operator)
    assert done.status_code == 200, done.text
    for method, path, body in reads:
        refused = client.request(method, path, json=body, headers=headers)
        assert_error_shape(refused, 403, "organisation-inactive")
    form = {"grant_type": "client_credentials"} | {
        k: consumer[k] for k in ("client_id", "client_secret")
    }
    refused_token = client.post("/oauth/token", data=form)  # an OAuth error (RFC 6749 §5.2)
    assert (refused_token.status_code, refused_token.json()["error"]) == (401, "invalid_client")
    assert "deactivated" in refused_token.json()["error_description"]

    assert client.post("/api/v1/organisations/H33.05/activate", headers=operator).status_code == 200
    assert client.post("/oauth/token", data=form).status_code == 200
    for method, path, body in reads:
        assert client.request(method, path, json=body, headers=headers).status_code == 200
