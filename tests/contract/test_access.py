"""Deny by default: every operation in the OpenAPI document refuses an anonymous caller with
401 in the error shape, except the few declared public (and that list names no stale route)."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.errors import ConfigurationError
from lienthong.registry.views import router as units_router
from lienthong.web.access import PUBLIC, check_routes
from lienthong.web.app import ROUTERS, create_app
from tests.contract.test_error_shape import assert_error_shape


def _operations(client: TestClient) -> list[tuple[str, str]]:
    paths = client.get("/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _for_people(client: TestClient) -> set[tuple[str, str]]:
    """Operations that only a person's session opens (no token applies to them)."""
    paths = client.get("/openapi.json").json()["paths"]
    return {
        (method.upper(), path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if op.get("security") == [{"person": []}]
    }


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "33", path)


def test_every_operation_but_the_public_ones_refuses_an_anonymous_caller(
    settings: Settings, engine: Engine
) -> None:
    # More operations than one address may have refused in a window: the limit is off here
    # (tests/audit/test_flooding.py tests it).
    unlimited = settings.model_copy(update={"source_refusal_limit": 0})
    with TestClient(create_app(unlimited, engine=engine)) as client:
        _refuses_every_operation(client)


def _refuses_every_operation(client: TestClient) -> None:
    operations = _operations(client)
    assert len(operations) > 40
    for_people = _for_people(client)
    assert ("GET", "/signin/me") in for_people
    refused = []
    for method, path in operations:
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, _concrete(path), json={})
        code = "not-signed-in" if (method, path) in for_people else "missing-token"
        assert_error_shape(response, 401, code)
        refused.append(path)
    assert "/api/v1/ingest/batches" in refused and "/api/v1/reports/connections" in refused
    assert "/signin/me" in refused


def test_the_public_list_has_no_stale_entry(client: TestClient) -> None:
    operations = set(_operations(client))
    stale = sorted(PUBLIC - operations)
    assert not stale
    for method, path in sorted(PUBLIC):
        if method == "GET":
            assert client.get(_concrete(path)).status_code != 401, path


def test_every_operation_declares_who_may_call_it(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    undeclared = [
        (method.upper(), path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if (method.upper(), path) not in PUBLIC and not op.get("security")
    ]
    assert not undeclared


def test_a_route_without_an_access_rule_stops_the_build() -> None:
    router = APIRouter()

    @router.get("/people")
    def people() -> list[str]:
        return []

    with pytest.raises(ConfigurationError) as caught:
        check_routes([*ROUTERS, (router, "/api/v1")])
    assert caught.value.code == "undeclared-access" and "GET /api/v1/people" in str(caught.value)
    check_routes(ROUTERS)
    with pytest.raises(ConfigurationError):  # the units moved elsewhere: the entries are stale
        check_routes([r for r in ROUTERS if r[0] is not units_router])
