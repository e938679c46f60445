"""Registering a provider service from its OpenAPI document: who may, what is kept, what is
refused (precisely)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.people.factories import steward
from tests.providers.factories import PROVIDER_ORG, entries, provider_org, register
from tests.registry.factories import make_org, make_system

URL = "http://127.0.0.1:9"  # never called here


def test_registration_keeps_the_declared_operations_and_is_audited(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    provider_org(client, operator)
    made = register(client, operator, URL + "/")
    assert made["base_url"] == URL
    assert made["title"] == "Land parcels" and made["document_version"] == "2.1"
    ops = {o["id"]: (o["method"], o["path"]) for o in made["operations"]}
    assert ops["getParcel"] == ("GET", "/parcels/{parcel_id}")
    assert ops["createParcel"] == ("POST", "/parcels")
    assert len(ops) == 8
    shown = client.get("/api/v1/providers/land", headers=operator).json()
    assert shown["organisation"] == PROVIDER_ORG and shown["revision"] == 1
    listed = client.get("/api/v1/providers", headers=operator).json()
    assert [s["name"] for s in listed] == ["land"]
    again = register(client, operator, URL, timeout_seconds=3.0)
    assert again["revision"] == 2 and again["timeout_seconds"] == 3.0
    audited = entries(engine, "provider.register", 2)
    assert [e["detail"]["revision"] for e in audited] == [1, 2]
    owned = entries(engine, "dataset.owner")
    assert [e["detail"]["dataset"] for e in owned] == ["service:land"]  # its grants' decider


def test_only_the_providers_own_stewards_or_the_operator_register(
    client: TestClient, operator: dict[str, str]
) -> None:
    provider_org(client, operator)
    make_org(client, operator, "H33.02")
    other = steward(client, "H33.02")
    body = {
        "organisation": PROVIDER_ORG,
        "system": "land-api",
        "name": "land",
        "base_url": URL,
        "document": '{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, '
        '"paths": {"/a": {"get": {}}}}',
    }
    refused = client.post("/api/v1/providers", json=body, headers=other)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not-permitted"
    made = client.post("/api/v1/providers", json=body, headers=steward(client, PROVIDER_ORG))
    assert made.status_code == 201, made.text
    assert made.json()["operations"] == [{"id": "GET /a", "method": "GET", "path": "/a"}]


def _refusal(client: TestClient, operator: dict[str, str], **fields: object) -> list[tuple]:
    body = {
        "organisation": PROVIDER_ORG,
        "system": "land-api",
        "name": "land",
        "base_url": URL,
    } | fields
    response = client.post("/api/v1/providers", json=body, headers=operator)
    assert response.status_code == 422, response.text
    return [(d["field"], d["code"]) for d in response.json()["error"]["details"]]


def test_a_document_that_is_not_openapi_3_is_refused_precisely(
    client: TestClient, operator: dict[str, str]
) -> None:
    provider_org(client, operator)
    swagger = json.dumps({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    assert _refusal(client, operator, document=swagger) == [("document.openapi", "openapi-not-3")]
    assert _refusal(client, operator, document="openapi: [unclosed") == [
        ("document", "openapi-unreadable")
    ]
    assert _refusal(client, operator, document="- a list") == [
        ("document", "openapi-not-an-object")
    ]
    broken = "openapi: 3.0.0\ninfo: {title: t}\npaths:\n  nope: {get: {}}\n  /b: {get: 5}\n"
    assert _refusal(client, operator, document=broken) == [
        ("document.info.version", "openapi-invalid"),
        ("document.paths.nope", "openapi-invalid"),
        ("document.paths./b.get", "openapi-invalid"),
    ]
    nul = json.dumps({"openapi": "3.0.0", "info": {"title": "a\u0000", "version": "1"}})
    assert _refusal(client, operator, document=nul)[0] == ("document.info.title", "openapi-invalid")
    empty = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {/a: {head: {}}}\n"
    assert _refusal(client, operator, document=empty) == [
        ("document.paths", "openapi-no-operations")
    ]
    ok = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {}}}\n"
    assert _refusal(client, operator, document=ok, base_url="http://user:pw@h/") == [
        ("base_url", "invalid-base-url")
    ]
    assert client.get("/api/v1/providers/land", headers=operator).status_code == 404


def test_a_name_taken_by_another_system_is_refused(
    client: TestClient, operator: dict[str, str]
) -> None:
    provider_org(client, operator)
    register(client, operator, URL)
    make_system(client, operator, PROVIDER_ORG, "other")
    response = client.post(
        "/api/v1/providers",
        json={
            "organisation": PROVIDER_ORG,
            "system": "other",
            "name": "land",
            "base_url": URL,
            "document": "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {}}}",
        },
        headers=operator,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "service-exists"
