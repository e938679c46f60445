"""Integers past 64 bits in paths, query strings, bodies and composite keys are client errors:
a 4xx in the error shape, never a 500 from the database driver."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.ingest.factories import COMMUNE, register_system
from tests.registry.factories import make_org

HUGE = "99999999999999999999"  # > 2**64
PAST_INTEGER = str(2**31)  # one past the largest id column value
PAST_BIGINT = str(2**63)  # one past the largest signed 64-bit value (a store key)


@pytest.mark.parametrize("number", [HUGE, PAST_BIGINT, PAST_INTEGER])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/api/v1/standards/citizen?version={n}", None, "version"),
        ("GET", "/api/v1/grants/{n}", None, "grant_id"),
        ("POST", "/api/v1/grants/{n}/revoke", None, "grant_id"),
        ("GET", "/api/v1/linkage/reviews/{n}", None, "review_id"),
        ("POST", "/api/v1/linkage/reviews/{n}/accept", None, "review_id"),
        ("POST", "/api/v1/linkage/models/{n}/activate", None, "model_id"),
        ("POST", "/api/v1/standards/citizen/{n}/publish", None, "version"),
        ("POST", "/api/v1/standards/citizen/{n}/deprecate", None, "version"),
    ],
)
def test_huge_integers_in_paths_and_queries_are_422(
    client: TestClient,
    operator: dict[str, str],
    number: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    response = client.request(method, path.format(n=number), json=body, headers=operator)
    assert_error_shape(response, 422, "validation-failed", field)


def test_huge_quarantine_id_in_a_replay_body_is_422(
    client: TestClient, operator: dict[str, str]
) -> None:
    body = {"fixes": [{"id": int(HUGE), "values": {}}]}
    response = client.post("/api/v1/ingest/batches/b-1/replay", json=body, headers=operator)
    assert_error_shape(response, 422, "validation-failed", "fixes.0.id")


def _parcels(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    register_system(engine, settings, "H33.03/dat")
    path = tmp_path / "parcels.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["commune_code", "map_sheet", "parcel_number", "area_m2"])
        writer.writerow([COMMUNE, 7, 12, 150.5])
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="land_parcel", system="H33.03/dat"),
    )


def test_composite_keys_with_huge_numbers_are_not_found_or_invalid(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    _parcels(engine, settings, tmp_path)
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    grant = request_grant(
        client, token, dataset="land_parcel", fields=["commune_code", "map_sheet", "area_m2"]
    )
    approve(client, operator, grant["id"])
    headers = token | {"X-Purpose": "public-service"}
    found = client.get(f"/api/v1/data/land_parcel/{COMMUNE}~7~12", headers=headers)
    assert found.status_code == 200, found.text
    for key, field in (
        (f"{COMMUNE}~{HUGE}~12", "map_sheet"),
        (f"{COMMUNE}~7~{PAST_BIGINT}", "parcel_number"),
        (f"{COMMUNE}~-{HUGE}~1", "map_sheet"),
    ):
        missing = client.get(f"/api/v1/data/land_parcel/{key}", headers=headers)
        assert_error_shape(missing, 404, "record-not-found")
        looked_up = client.post(
            "/api/v1/data/land_parcel/lookup", json={"keys": [key]}, headers=headers
        )
        assert_error_shape(looked_up, 422, "validation-failed", field)
    listed = client.get(f"/api/v1/data/land_parcel?map_sheet={HUGE}", headers=headers)
    assert_error_shape(listed, 422, "validation-failed", "map_sheet")
