"""Calls through the proxy to a real provider on 127.0.0.1: granted, forwarded and audited;
refused and audited; headers stripped and added; timeout, size limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.exchange.factories import get_token, make_consumer
from tests.providers.factories import CALL, entries, granted_consumer, provider_org, register
from tests.providers.provider import Provider, running_provider

PURPOSE = {"X-Purpose": "land-administration"}


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def land(client: TestClient, operator: dict[str, str], provider: Provider) -> Provider:
    provider_org(client, operator)
    register(client, operator, provider.url)
    return provider


def test_a_granted_call_is_forwarded_with_the_callers_names_and_audited(
    client: TestClient, operator: dict[str, str], land: Provider, engine: Engine
) -> None:
    token = granted_consumer(client, operator, ["getParcel", "createParcel"])
    sent = (
        token
        | PURPOSE
        | {
            "Cookie": "console=secret",
            "Lienthong-Client": "H99.99/forged",
            "Connection": "keep-alive, X-Hop",
            "X-Hop": "dropped",
            "X-Request-Id": "rid-1",
            "Accept": "application/json",
        }
    )
    response = client.get(f"{CALL}/parcels/33-0001?full=1", headers=sent)
    assert response.status_code == 200, response.text
    assert response.json()["path"] == "/parcels/33-0001?full=1"
    assert response.headers["x-provider"] == "land"
    assert response.headers["x-request-id"] == "rid-1"
    assert "set-cookie" not in response.headers
    seen = land.seen[-1]["headers"]
    assert "authorization" not in seen and "cookie" not in seen and "x-hop" not in seen
    assert seen["lienthong-client"] == "H33.02/portal"
    assert seen["lienthong-purpose"] == "land-administration"
    assert seen["lienthong-request-id"] == "rid-1"
    assert seen["lienthong-service"] == "land"
    assert seen["accept"] == "application/json"
    created = client.post(f"{CALL}/parcels", headers=token | PURPOSE, json={"area": 120})
    assert created.status_code == 201
    assert created.json()["body"] == '{"area":120}'
    [read, write] = entries(engine, "provider.call", 2)
    assert read["actor"]["system"] == "portal" and read["dataset"] == "service:land"
    assert (read["operation"], read["method"], read["status"]) == ("getParcel", "GET", 200)
    assert read["outcome"] == "ok" and read["reached"] is True
    assert read["purpose"] == "land-administration" and read["request_id"] == "rid-1"
    assert read["bytes"] == len(response.content) and read["duration_ms"] >= 0
    assert read["provider"] == {"organisation": "H33.05", "system": "land-api"}
    assert "33-0001" not in str(read)  # the path is kept hashed: it may name a person
    assert (write["operation"], write["status"]) == ("createParcel", 201)


def test_calls_outside_a_grant_are_refused_audited_and_never_reach_the_provider(
    client: TestClient, operator: dict[str, str], land: Provider, engine: Engine
) -> None:
    stranger = get_token(client, make_consumer(client, operator, "H33.03", "other"))
    refused = client.get(f"{CALL}/parcels/1", headers=stranger | PURPOSE)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "no-grant"
    token = granted_consumer(client, operator, ["getParcel"])
    cases = [
        ("DELETE", "parcels/1", PURPOSE, 403, "operation-not-granted"),
        ("GET", "parcels/1", {"X-Purpose": "statistics"}, 403, "purpose-not-granted"),
        ("GET", "parcels/1", {}, 400, "purpose-required"),
        ("GET", "cadastre/1", PURPOSE, 404, "unknown-operation"),
        ("GET", "parcels/%2E%2E", PURPOSE, 404, "unknown-operation"),  # not /parcels/..
        ("PUT", "parcels/1", PURPOSE, 405, "method-not-declared"),
    ]
    for method, path, more, status, code in cases:
        answer = client.request(method, f"{CALL}/{path}", headers=token | more)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), path
    assert (
        client.request("PUT", f"{CALL}/parcels/1", headers=token | PURPOSE).headers["allow"]
        == "DELETE, GET"
    )
    unknown = client.get("/api/v1/providers/cadastre/call/x", headers=token | PURPOSE)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown-service"
    anonymous = client.get(f"{CALL}/parcels/1", headers=PURPOSE)
    assert anonymous.status_code == 401
    assert land.seen == []
    denied = entries(engine, "data.denied", 10)
    assert [e["outcome"] for e in denied[:2]] == ["no-grant", "operation-not-granted"]
    assert denied[0]["dataset"] == "service:land" and denied[0]["actor"]["system"] == "other"
    assert entries(engine, "provider.call", wait=0) == []


def test_a_slow_provider_is_a_504_and_a_big_answer_a_502_with_nothing_of_it(
    client: TestClient, operator: dict[str, str], land: Provider, engine: Engine
) -> None:
    token = granted_consumer(client, operator, ["slow", "big"])
    slow = client.get(f"{CALL}/slow", headers=token | PURPOSE)
    assert slow.status_code == 504
    assert slow.json()["error"]["code"] == "provider-timeout"
    big = client.get(f"{CALL}/big", headers=token | PURPOSE)
    assert big.status_code == 502
    assert big.json()["error"]["code"] == "provider-response-too-large"
    assert b"xxxx" not in big.content
    timed_out, too_big = entries(engine, "provider.call", 2)
    assert (timed_out["outcome"], timed_out["status"], timed_out["reached"]) == (
        "provider-timeout",
        504,
        False,
    )
    assert 900 <= timed_out["duration_ms"] < 1900  # the service's 1 s, not the provider's 2 s
    assert (too_big["outcome"], too_big["status"]) == ("provider-response-too-large", 502)


def test_a_suspended_grant_stops_the_calls(
    client: TestClient, operator: dict[str, str], land: Provider
) -> None:
    token = granted_consumer(client, operator, ["getParcel"])
    assert client.get(f"{CALL}/parcels/1", headers=token | PURPOSE).status_code == 200
    [grant] = client.get("/api/v1/grants", headers=operator).json()["items"]
    suspended = client.post(
        f"/api/v1/grants/{grant['id']}/suspend", json={"reason": "audit"}, headers=operator
    )
    assert suspended.status_code == 200, suspended.text
    refused = client.get(f"{CALL}/parcels/1", headers=token | PURPOSE)
    assert refused.json()["error"]["code"] == "grant-suspended"
