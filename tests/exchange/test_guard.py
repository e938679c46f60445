"""Every personal-data answer takes one guarded path: the caller is authorised before its
input is read, and every refusal answers and is audited the same way on every endpoint."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.exchange.test_read_api import denied
from tests.registry.factories import make_org

JSON = {"content-type": "application/json"}


def _bad_input(key: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Requests whose input is wrong: the caller must still be authorised first."""
    return [
        ("GET", "/api/v1/data/citizen?limit=0", {}),
        ("GET", "/api/v1/data/citizen?limit=many", {}),
        ("GET", "/api/v1/data/citizen?cursor=!!", {}),
        ("POST", "/api/v1/data/citizen/lookup", {"content": b"{not json", "headers": JSON}),
        ("POST", "/api/v1/data/citizen/lookup", {"json": {"keys": []}}),
        ("GET", f"/api/v1/data/citizen/{key}", {}),
        ("GET", "/api/v1/masters/person/MPnothing", {}),
    ]


def test_no_token_is_401_before_any_validation_and_audited(
    client: TestClient, engine: Engine, citizens: list[str]
) -> None:
    cases = _bad_input(citizens[0])
    for n, (method, url, kwargs) in enumerate(cases):
        headers = kwargs.pop("headers", {}) | {"X-Request-Id": f"anon-{n}"}
        response = client.request(method, url, headers=headers, **kwargs)
        assert_error_shape(response, 401, "missing-token")
        assert response.headers["X-Request-Id"] == f"anon-{n}", url
    entries = {e["request_id"]: e for e in denied(engine, len(cases))}
    assert [entries[f"anon-{n}"]["outcome"] for n in range(len(cases))] == ["missing-token"] * 7
    assert all(e["actor"] == {"kind": "anonymous"} for e in entries.values())
    # The source address is kept, for the security monitor to group refusals by.
    assert {e["ip"] for e in entries.values()} == {"testclient"}


def test_bad_input_of_an_authorised_caller_is_422_and_audited(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    approve(client, operator, request_grant(client, token)["id"])
    headers = token | {"X-Purpose": "public-service", "X-Request-Id": "bad"}
    expected = [
        ("limit", "invalid-limit"),
        ("limit", "invalid-limit"),
        ("cursor", "invalid-cursor"),
        (None, "json-invalid"),
        ("keys", "too-short"),
    ]
    for (method, url, kwargs), (field, code) in zip(_bad_input(""), expected, strict=False):
        sent = headers | kwargs.pop("headers", {})
        response = client.request(method, url, headers=sent, **kwargs)
        assert_error_shape(response, 422, "validation-failed")
        assert [(d["field"], d["code"]) for d in response.json()["error"]["details"]][:1] == [
            (field, code)
        ], url
        assert response.headers["X-Request-Id"] == "bad"
    outcomes = [e["outcome"] for e in denied(engine, 5)]
    assert outcomes == ["validation-failed"] * 5
