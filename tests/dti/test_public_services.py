"""Public services through a standard: ingested like any sector data, then the shares of
full-online procedures and of applications filed online, per agency and month."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.contract.test_error_shape import assert_error_shape
from tests.dti.factories import (
    JUSTICE,
    PLANNING,
    YEAR,
    departments,
    ingest_public_services,
)


@pytest.fixture
def loaded(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> TestClient:
    """The figures are loaded; the client signs in as the operator (the reports need a caller)."""
    ingest_public_services(engine, settings, tmp_path, departments(engine, settings))
    client.headers.update(operator)
    return client


def test_catalogue_shares_per_agency(loaded: TestClient) -> None:
    report = loaded.get("/api/v1/public-services/catalogue").json()
    rows = {r["agency"]: r for r in report["by_agency"]}
    assert (rows[JUSTICE]["procedures"], rows[JUSTICE]["full_online"]) == (3, 2)
    assert rows[JUSTICE]["full_online_share"] == 0.6667
    assert rows[JUSTICE]["online_share"] == 1.0
    assert rows[JUSTICE]["agency_name"] == "Sở Tư pháp"
    # The "level4" row was quarantined by the standard's enum, so it is not counted.
    assert (rows[PLANNING]["procedures"], rows[PLANNING]["not_online"]) == (2, 1)
    total = report["total"]
    assert (total["procedures"], total["full_online_share"], total["online_share"]) == (5, 0.6, 0.8)
    one = loaded.get("/api/v1/public-services/catalogue", params={"agency": PLANNING}).json()
    assert [r["agency"] for r in one["by_agency"]] == [PLANNING]


def test_monthly_shares_per_agency_and_for_the_province(loaded: TestClient) -> None:
    report = loaded.get(
        "/api/v1/public-services/monthly", params={"since": f"{YEAR}-01", "until": f"{YEAR}-12"}
    ).json()
    january = {r["agency"]: r for r in report["by_agency"] if r["month"] == f"{YEAR}-01"}
    assert january[JUSTICE]["received_total"] == 150
    assert january[JUSTICE]["online_share"] == 0.6
    assert january[PLANNING]["paid_online_share"] == 0.5
    province = {r["month"]: r for r in report["province"]}
    assert list(province) == [f"{YEAR}-01", f"{YEAR}-02"]  # last December is outside
    assert province[f"{YEAR}-01"]["received_total"] == 350
    assert province[f"{YEAR}-01"]["online_share"] == 0.6857
    assert province[f"{YEAR}-02"]["on_time_share"] == 0.9167


def test_an_empty_store_answers_with_nothing_to_divide(
    client: TestClient, operator: dict[str, str]
) -> None:
    catalogue = client.get("/api/v1/public-services/catalogue", headers=operator).json()
    assert catalogue["by_agency"] == [] and catalogue["total"]["full_online_share"] is None
    assert client.get("/api/v1/public-services/monthly", headers=operator).json() == {
        "province": [],
        "by_agency": [],
    }


def test_a_bad_month_is_a_precise_error(client: TestClient, operator: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/public-services/monthly", params={"since": "2025-13"}, headers=operator
    )
    assert_error_shape(response, 422, "validation-failed", "since")
    assert response.json()["error"]["details"][0]["code"] == "invalid-month"
