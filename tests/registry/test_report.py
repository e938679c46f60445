from __future__ import annotations

from fastapi.testclient import TestClient

from tests.registry.factories import make_org, make_system


def _populate(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "UB33")
    make_system(client, operator, "UB33", "egov", status="connected")
    make_org(client, operator, "SYT33")
    make_system(client, operator, "SYT33", "his")  # registered only: not connected
    make_org(client, operator, "X11953", level="commune", unit_code="11953")
    make_system(client, operator, "X11953", "mc", status="connected")
    make_org(client, operator, "X11983", level="commune", unit_code="11983")
    make_org(client, operator, "UB01", unit_code="01")
    make_system(client, operator, "UB01", "egov", status="connected")
    make_org(client, operator, "OLD323", level="district", unit_code="323", unit_version="pre2025")


def test_connection_report_by_level_and_province(
    client: TestClient, operator: dict[str, str]
) -> None:
    _populate(client, operator)
    body = client.get("/api/v1/reports/connections", headers=operator).json()
    assert (body["organisations"], body["connected"], body["percent"]) == (6, 3, 50.0)
    levels = {r["key"]: (r["organisations"], r["connected"]) for r in body["by_level"]}
    assert levels == {"province": (3, 2), "district": (1, 0), "commune": (2, 1)}
    units = {r["key"]: (r["organisations"], r["connected"], r["percent"]) for r in body["by_unit"]}
    assert units == {"33": (4, 2, 50.0), "01": (1, 1, 100.0), "other-version": (1, 0, 0.0)}


def test_connection_report_within_a_province(client: TestClient, operator: dict[str, str]) -> None:
    _populate(client, operator)
    body = client.get(
        "/api/v1/reports/connections", params={"province": "33"}, headers=operator
    ).json()
    rows = {r["key"]: (r["name"], r["organisations"], r["connected"]) for r in body["by_unit"]}
    assert rows == {
        "33": ("Tỉnh Hưng Yên", 2, 1),
        "11953": ("Phường Phố Hiến", 1, 1),
        "11983": ("Phường Sơn Nam", 1, 0),
    }
    assert (body["organisations"], body["connected"]) == (4, 2)


def test_deactivated_organisations_are_not_counted(
    client: TestClient, operator: dict[str, str]
) -> None:
    _populate(client, operator)
    client.post("/api/v1/organisations/UB01/deactivate", headers=operator)
    body = client.get("/api/v1/reports/connections", headers=operator).json()
    assert (body["organisations"], body["connected"]) == (5, 2)
