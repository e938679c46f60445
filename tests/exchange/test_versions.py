"""Grants read one standard version: a breaking v2 changes nothing for a v1 grant; v1 is
retired on an announced day (Sunset and Deprecation headers before it, 410 from it)."""

from __future__ import annotations

import copy
import csv
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.exchange.grants import bump
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.standards.models import Standard
from lienthong.standards.service import builtin_document
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.ingest.factories import CITIZEN_HEADER, citizen_row
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}
V1_FIELDS = ["personal_id", "full_name", "phone"]


def _publish_v2(client: TestClient, operator: dict[str, str]) -> None:
    """citizen v2: ``phone`` removed (breaking), ``household_id`` added."""
    document = copy.deepcopy(builtin_document("citizen"))
    document["version"] = 2
    document["fields"] = [f for f in document["fields"] if f["name"] != "phone"]
    document["fields"].append({"name": "household_id", "type": "string"})
    assert client.post("/api/v1/standards", json=document, headers=operator).status_code == 201
    published = client.post(
        "/api/v1/standards/citizen/2/publish",
        json={"breaking": True, "reason": "phone moves to the contact standard"},
        headers=operator,
    )
    assert published.status_code == 200, published.text


def _load_v2(engine: Engine, settings: Settings, path: Path) -> None:
    header = [c for c in CITIZEN_HEADER if c != "phone"] + ["household_id"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for n in range(1, 4):
            writer.writerow(citizen_row(n) | {"household_id": f"HH{n}"})
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.02/hoso"),
    )
    assert batch.standard_version == 2 and batch.rows_loaded == 3


def _consumer(client: TestClient, operator: dict[str, str], **grant: Any) -> dict[str, str]:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    made = request_grant(client, token, fields=V1_FIELDS, **grant)
    approve(client, operator, made["id"])
    return token


def _retire_on(engine: Engine, day: date) -> None:
    """As if the announced day had come (the API accepts only future days)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(Standard)
            .where(Standard.name == "citizen", Standard.version == 1)
            .values(retire_on=day)
        )
        bump(session)


def test_a_v1_grant_reads_v1_after_a_breaking_v2(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    citizens: list[str],
    tmp_path: Path,
) -> None:
    token = _consumer(client, operator)
    grants = client.get("/api/v1/grants", headers=token).json()["items"]
    assert [g["version"] for g in grants] == [1]
    _publish_v2(client, operator)
    _load_v2(engine, settings, tmp_path / "v2.csv")
    url = f"/api/v1/data/citizen/{citizens[0]}"
    for _ in range(2):  # the second read from the process's caches
        one = client.get(url, headers=token | PURPOSE)
        assert one.status_code == 200, one.text
        assert one.json() == {
            "personal_id": citizens[0],
            "full_name": "Nguyễn Văn 1",
            "phone": "0900000001",
        }
        assert "Sunset" not in one.headers
    page = client.get("/api/v1/data/citizen?limit=10", headers=token | PURPOSE).json()
    assert len(page["items"]) == 5  # v1's records, in the grant's area
    assert all(set(r) == set(V1_FIELDS) for r in page["items"])
    found = client.post(
        "/api/v1/data/citizen/lookup", json={"keys": citizens[:2]}, headers=token | PURPOSE
    ).json()
    assert [r["phone"] for r in found["items"]] == ["0900000001", "0900000002"]
    # v2 only through a grant for it; asking for it under the v1 grant is refused.
    asked = client.get(url, headers=token | PURPOSE | {"X-Standard-Version": "2"})
    assert asked.status_code == 403
    assert asked.json()["error"]["code"] == "version-not-granted"
    bad = client.get(url, headers=token | PURPOSE | {"X-Standard-Version": "two"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid-standard-version"
    v2 = request_grant(client, token, fields=["personal_id", "household_id"], version=2)
    assert v2["version"] == 2
    approve(client, operator, v2["id"])
    newest = client.get(url, headers=token | PURPOSE)  # the highest granted version
    assert newest.json() == {"personal_id": citizens[0], "household_id": "HH1"}
    pinned = client.get(url, headers=token | PURPOSE | {"X-Standard-Version": "1"})
    assert pinned.json()["phone"] == "0900000001"


def test_a_retiring_version_warns_then_is_gone(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    token = _consumer(client, operator)
    url = f"/api/v1/data/citizen/{citizens[0]}"
    assert client.get(url, headers=token | PURPOSE).status_code == 200  # caches filled
    day = date.today() + timedelta(days=90)
    early = client.post("/api/v1/standards/citizen/1/retire", json={"on": day.isoformat()})
    assert early.status_code == 401
    current = client.post(
        "/api/v1/standards/citizen/1/retire", json={"on": day.isoformat()}, headers=operator
    )
    assert current.status_code == 409
    assert current.json()["error"]["code"] == "standard-version-current"
    _publish_v2(client, operator)
    retired = client.post(
        "/api/v1/standards/citizen/1/retire", json={"on": day.isoformat()}, headers=operator
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["retire_on"] == day.isoformat()
    assert retired.json()["status"] == "deprecated"
    listed = client.get("/api/v1/standards").json()["items"]
    assert {(s["name"], s["version"]): s["retire_on"] for s in listed}[
        ("citizen", 1)
    ] == day.isoformat()

    warned = client.get(url, headers=token | PURPOSE)
    assert warned.status_code == 200
    assert parsedate_to_datetime(warned.headers["Sunset"]).date() == day
    assert warned.headers["Deprecation"].startswith("@")
    missing = client.get("/api/v1/data/citizen/033090999999", headers=token | PURPOSE)
    assert missing.status_code == 404 and "Sunset" in missing.headers
    page = client.get("/api/v1/data/citizen", headers=token | PURPOSE)
    assert page.status_code == 200 and "Sunset" in page.headers

    gone_on = date.today()
    _retire_on(engine, gone_on)
    gone = client.get(url, headers=token | PURPOSE)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "standard-version-retired"
    assert gone_on.isoformat() in gone.json()["error"]["message"]
    assert parsedate_to_datetime(gone.headers["Sunset"]).date() == gone_on
    listing = client.get("/api/v1/data/citizen", headers=token | PURPOSE)
    assert listing.status_code == 410
    again = client.post(
        "/api/v1/grants",
        json={
            "dataset": "citizen",
            "version": 1,
            "fields": ["personal_id"],
            "units": ["33"],
            "purposes": ["public-service"],
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=token,
    )
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "standard-version-retired"


def test_a_retirement_day_must_be_announced_ahead(
    client: TestClient, operator: dict[str, str]
) -> None:
    _publish_v2(client, operator)
    today = client.post(
        "/api/v1/standards/citizen/1/retire",
        json={"on": date.today().isoformat()},
        headers=operator,
    )
    assert today.status_code == 422
    assert today.json()["error"]["details"][0]["code"] == "retire-date-not-future"


def test_a_grant_names_a_published_version(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    body = {
        "dataset": "citizen",
        "version": 9,
        "fields": ["personal_id"],
        "units": ["33"],
        "purposes": ["public-service"],
        "expires_on": (date.today() + timedelta(days=30)).isoformat(),
    }
    unknown = client.post("/api/v1/grants", json=body, headers=token)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown-dataset"
    document = copy.deepcopy(builtin_document("citizen")) | {"version": 2}
    assert client.post("/api/v1/standards", json=document, headers=operator).status_code == 201
    draft = client.post("/api/v1/grants", json=body | {"version": 2}, headers=token)
    assert draft.status_code == 404
    assert draft.json()["error"]["code"] == "unknown-standard"
