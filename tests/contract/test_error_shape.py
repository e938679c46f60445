"""Every error path answers with the one shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import make_org, make_system

ORG = {"code": "H33", "name": "Sở Y tế", "level": "province", "unit_code": "33"}


def assert_error_shape(response: Any, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == {"field", "code", "message"}
    if field is not None:
        assert field in [d["field"] for d in error["details"]]


def _cases(operator: dict[str, str]) -> list[tuple[str, str, dict[str, Any], int, str, str | None]]:
    csv = {"content": b"code,name\nA,B\n", "headers": operator | {"content-type": "text/csv"}}
    return [
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG, "headers": operator},
            409,
            "organisation-exists",
            "code",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG | {"code": "h-33"}, "headers": operator},
            422,
            "validation-failed",
            "code",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG | {"code": "X1", "unit_code": "99999"}, "headers": operator},
            422,
            "validation-failed",
            "unit_code",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": {"code": "X2"}, "headers": operator},
            422,
            "validation-failed",
            "name",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"content": b"{not json", "headers": operator | {"content-type": "application/json"}},
            422,
            "validation-failed",
            None,
        ),
        ("POST", "/api/v1/organisations", {"json": ORG}, 401, "missing-token", None),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG, "headers": {"Authorization": "Bearer wrong-token-wrong-token-wrong"}},
            401,
            "invalid-token",
            None,
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG, "headers": {"Authorization": "Basic x"}},
            401,
            "missing-token",
            None,
        ),
        ("GET", "/api/v1/organisations/NOPE", {"headers": operator}, 404, "not-found", None),
        (
            "GET",
            "/api/v1/organisations/H33/systems/nope",
            {"headers": operator},
            404,
            "not-found",
            None,
        ),
        ("GET", "/api/v1/units/99999", {}, 404, "not-found", None),
        (
            "GET",
            "/api/v1/units/33",
            {"params": {"version": "1999"}},
            422,
            "validation-failed",
            "version",
        ),
        (
            "GET",
            "/api/v1/units/33",
            {"params": {"date": "yesterday"}},
            422,
            "validation-failed",
            "date",
        ),
        (
            "GET",
            "/api/v1/units",
            {"params": {"q": "ha", "cursor": "!!"}},
            422,
            "validation-failed",
            "cursor",
        ),
        (
            "GET",
            "/api/v1/units",
            {"params": {"q": "ha", "limit": 0}},
            422,
            "validation-failed",
            "limit",
        ),
        ("GET", "/api/v1/no-such-path", {}, 404, "not-found", None),
        ("DELETE", "/api/v1/organisations", {}, 405, "method-not-allowed", None),
        (
            "POST",
            "/api/v1/organisations/H33/systems",
            {"json": {"code": "his", "name": "x"}, "headers": operator},
            409,
            "system-exists",
            "code",
        ),
        ("POST", "/api/v1/organisations/import", csv, 422, "validation-failed", "level"),
        (
            "POST",
            "/api/v1/organisations",
            {
                "content": b"x" * 2_000_000,
                "headers": operator | {"content-type": "application/json"},
            },
            413,
            "payload-too-large",
            None,
        ),
        (
            "GET",
            "/api/v1/reports/connections",
            {"params": {"province": "99"}, "headers": operator},
            422,
            "validation-failed",
            "province",
        ),
    ]


def test_every_error_path_has_the_one_shape(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "H33")
    make_system(client, operator, "H33", "his")
    for method, path, kwargs, status, code, field in _cases(operator):
        response = client.request(method, path, **kwargs)
        assert_error_shape(response, status, code, field)


def test_streamed_body_over_limit_is_413(client: TestClient, operator: dict[str, str]) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/organisations",
        content=chunks(),
        headers=operator | {"content-type": "application/json"},
    )
    assert_error_shape(response, 413, "payload-too-large")


def _management_operations(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the OpenAPI document marks as needing the operator token."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if any("operator" in requirement for requirement in operation.get("security", [])):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "X", path)))
    return found


def test_every_management_endpoint_refuses_without_operator_token(client: TestClient) -> None:
    operations = _management_operations(client)
    assert len(operations) >= 10
    for method, path in operations:
        assert_error_shape(client.request(method, path, json={}), 401, "missing-token")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"])
def test_service_endpoints_answer(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
