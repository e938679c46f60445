"""Standards: built-ins seeded, draft → published → deprecated, breaking changes, code lists."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.standards.service import builtin_document
from tests.dti.factories import audit_bodies


def _citizen_v2(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(builtin_document("citizen"))
    document["version"] = 2
    document.update(changes)
    return document


def test_builtin_standards_are_published(client: TestClient) -> None:
    response = client.get("/api/v1/standards")
    assert response.status_code == 200
    names = {(s["name"], s["version"], s["status"]) for s in response.json()["items"]}
    assert {
        ("citizen", 1, "published"),
        ("business", 1, "published"),
        ("land_parcel", 1, "published"),
        ("health_insurance", 1, "published"),
    } <= names
    citizen = client.get("/api/v1/standards/citizen").json()
    assert citizen["document"]["primaryKey"] == ["personal_id"]
    assert citizen["document"]["lienthong:areaField"] == "commune_code"


def test_unknown_standard_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/standards/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown-standard"


def test_management_needs_the_operator(client: TestClient) -> None:
    response = client.post("/api/v1/standards", json=_citizen_v2())
    assert response.status_code == 401


def test_a_breaking_version_is_published_only_with_a_reason_and_audited(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    document = _citizen_v2()
    fields = [f for f in document["fields"] if f["name"] != "phone"]  # removed field
    for f in fields:
        if f["name"] == "address_line":
            f["constraints"] = {"required": True}  # newly required
    fields.append({"name": "household_id", "type": "integer"})
    document["fields"] = fields
    created = client.post("/api/v1/standards", json=document, headers=operator)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    # A draft may change; the latest *published* version is still v1.
    assert client.get("/api/v1/standards/citizen").json()["version"] == 1
    refused = client.post("/api/v1/standards/citizen/2/publish", headers=operator)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "breaking-change-unconfirmed"
    expected = {("phone", "removed-field"), ("address_line", "new-required-field")}
    assert {(d["field"], d["code"]) for d in error["details"]} == expected
    assert client.get("/api/v1/standards/citizen").json()["version"] == 1  # nothing published
    no_reason = client.post(
        "/api/v1/standards/citizen/2/publish", json={"breaking": True}, headers=operator
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["details"][0]["code"] == "breaking-reason-required"
    published = client.post(
        "/api/v1/standards/citizen/2/publish",
        json={"breaking": True, "reason": "Nghị định 69/2024: phone is no longer collected"},
        headers=operator,
    )
    assert published.status_code == 200, published.text
    breaking = {(b["field"], b["code"]) for b in published.json()["breaking"]}
    assert breaking == expected
    assert published.json()["breaking_reason"].startswith("Nghị định 69/2024")
    entry = [e for e in audit_bodies(engine) if e["action"] == "standard.publish"][-1]
    assert entry["actor"] == {"kind": "operator", "break_glass": True}
    assert entry["detail"]["version"] == 2
    assert entry["detail"]["reason"] == published.json()["breaking_reason"]
    assert sorted(entry["detail"]["breaking"]) == [
        "address_line:new-required-field",
        "phone:removed-field",
    ]
    assert client.get("/api/v1/standards/citizen").json()["version"] == 2
    again = client.put("/api/v1/standards/citizen/2", json=document, headers=operator)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "standard-immutable"
    deprecated = client.post("/api/v1/standards/citizen/1/deprecate", headers=operator)
    assert deprecated.json()["status"] == "deprecated"


def test_narrowed_type_is_breaking(client: TestClient, operator: dict[str, str]) -> None:
    document = _citizen_v2()
    for f in document["fields"]:
        if f["name"] == "phone":
            f["type"] = "integer"
            f.pop("constraints", None)
    client.post("/api/v1/standards", json=document, headers=operator)
    refused = client.post("/api/v1/standards/citizen/2/publish", headers=operator).json()
    details = refused["error"]["details"]
    assert [(d["field"], d["code"]) for d in details] == [("phone", "narrowed-type")]


def test_a_compatible_version_needs_no_flag(client: TestClient, operator: dict[str, str]) -> None:
    document = _citizen_v2()
    document["fields"].append({"name": "household_id", "type": "integer"})  # optional: fine
    client.post("/api/v1/standards", json=document, headers=operator)
    published = client.post("/api/v1/standards/citizen/2/publish", headers=operator)
    assert published.status_code == 200, published.text
    assert published.json()["breaking"] == [] and published.json()["breaking_reason"] is None


def test_drafts_are_not_public(client: TestClient, operator: dict[str, str]) -> None:
    created = client.post("/api/v1/standards", json=_citizen_v2(), headers=operator)
    assert created.status_code == 201
    listed = client.get("/api/v1/standards").json()["items"]
    assert ("citizen", 1) in {(s["name"], s["version"]) for s in listed}
    assert all(s["status"] != "draft" for s in listed)
    assert client.get("/api/v1/standards", params={"status": "draft"}).json()["items"] == []
    draft = client.get("/api/v1/standards/citizen", params={"version": 2})
    assert draft.status_code == 404
    assert draft.json()["error"]["code"] == "unknown-standard"


def test_invalid_standard_is_rejected(client: TestClient, operator: dict[str, str]) -> None:
    bad = {
        "name": "x",
        "fields": [{"name": "a", "type": "geopoint"}],
        "primaryKey": ["a"],
        "lienthong:areaField": "a",
    }
    response = client.post("/api/v1/standards", json=bad, headers=operator)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid-standard"
    assert response.json()["error"]["details"][0]["field"] == "fields.0.type"


def test_code_lists(client: TestClient) -> None:
    listed = client.get("/api/v1/codelists").json()["items"]
    sizes = {(c["name"], c["version"]): c["size"] for c in listed}
    assert sizes[("ethnic-group", "1")] == 54
    assert sizes[("sex", "1")] == 2
    assert ("admin-unit", "2025") in sizes and ("admin-unit", "pre2025") in sizes
    ethnic = client.get("/api/v1/codelists/ethnic-group").json()
    labels = {e["code"]: e["label"] for e in ethnic["items"]}
    assert labels["01"] == "Kinh" and labels["06"] == "Hoa" and labels["54"] == "Rơ Măm"
    assert ethnic["next_cursor"] is None
    old = client.get("/api/v1/codelists/admin-unit", params={"date": "2024-01-01"}).json()
    assert old["version"] == "pre2025"
    missing = client.get("/api/v1/codelists/nope")
    assert missing.json()["error"]["code"] == "unknown-codelist"


def test_code_list_pages(client: TestClient) -> None:
    url = "/api/v1/codelists/ethnic-group"
    first = client.get(url, params={"limit": 20}).json()
    assert first["name"] == "ethnic-group" and first["version"] == "1"
    assert [e["code"] for e in first["items"]] == [f"{n:02d}" for n in range(1, 21)]
    codes = [e["code"] for e in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(url, params={"limit": 20, "cursor": cursor}).json()
        assert 1 <= len(page["items"]) <= 20
        codes += [e["code"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert codes == [f"{n:02d}" for n in range(1, 55)]
    units = client.get("/api/v1/codelists/admin-unit").json()
    assert len(units["items"]) == 100 and units["next_cursor"]
    too_many = client.get(url, params={"limit": 5000})
    assert too_many.status_code == 422
    bad = client.get(url, params={"cursor": "!!"})
    assert bad.json()["error"]["details"][0]["code"] == "invalid-cursor"
