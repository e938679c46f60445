"""A data steward fixes its own organisation's quarantine (of its systems' batches or of
the datasets it owns), not another's: another's batch is unknown to it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.ingest.factories import citizen_row, register_system, write_citizens
from tests.people.factories import set_owner, steward
from tests.registry.factories import make_org


def test_only_the_owners_steward_replays(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    register_system(engine, settings)
    rows = [citizen_row(i) for i in range(1, 4)]
    rows[1]["date_of_birth"] = "31/02/1990"
    path = write_citizens(tmp_path / "dan_cu.csv", rows)
    batch = client.post(
        "/api/v1/ingest/citizen",
        params={"system": "H33.02/hoso", "filename": path.name},
        content=path.read_bytes(),
        headers=operator,
    ).json()
    [entry] = client.get(
        f"/api/v1/ingest/batches/{batch['id']}/quarantine", headers=operator
    ).json()["items"]
    make_org(client, operator, "H33.01")
    fix = {"fixes": [{"id": entry["id"], "values": {"date_of_birth": "1990-02-28"}}]}
    url = f"/api/v1/ingest/batches/{batch['id']}/replay"
    unowned = client.post(url, json=fix, headers=steward(client, "H33.01"))
    assert unowned.status_code == 404 and unowned.json()["error"]["code"] == "unknown-batch"
    set_owner(client, operator, "citizen", "H33.02")
    other = client.post(url, json=fix, headers=steward(client, "H33.01"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "unknown-batch"
    fixed = client.post(url, json=fix, headers=steward(client, "H33.02"))
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["rows_loaded"] == 1
