"""Registry factories: organisations and systems created through the real API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def make_org(
    client: TestClient, operator: dict[str, str], code: str = "H33.01", **fields: Any
) -> dict[str, Any]:
    body = {
        "code": code,
        "name": f"Sở {code}",
        "level": "province",
        "unit_code": "33",
        "sector": "health",
    } | fields
    response = client.post("/api/v1/organisations", json=body, headers=operator)
    assert response.status_code == 201, response.text
    return response.json()


def make_system(
    client: TestClient,
    operator: dict[str, str],
    org: str,
    code: str = "his",
    status: str | None = None,
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/organisations/{org}/systems",
        json={"code": code, "name": f"System {code}"},
        headers=operator,
    )
    assert response.status_code == 201, response.text
    if status:
        response = client.patch(
            f"/api/v1/organisations/{org}/systems/{code}", json={"status": status}, headers=operator
        )
        assert response.status_code == 200, response.text
    return response.json()
