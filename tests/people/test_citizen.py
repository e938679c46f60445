"""A citizen signed in with their personal ID sees who read their records (direct reads and
reads through master records), and nobody else's."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.ingest.factories import personal_id
from tests.linkage.test_api import PURPOSE, _portal, linked_store
from tests.people.factories import make_person, person_headers


def test_a_citizen_sees_their_own_reads_only(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    master_id = linked_store(engine, settings, tmp_path)
    token = _portal(client, operator, fields=["full_name"])
    read = token | PURPOSE | {"X-On-Behalf-Of": "cb-07"}
    assert client.get(
        f"/api/v1/masters/person/{master_id}", headers=read | {"X-Request-Id": "m-1"}
    ).is_success
    assert client.get(
        f"/api/v1/data/citizen/{personal_id(1)}", headers=read | {"X-Request-Id": "d-1"}
    ).is_success
    assert client.get(
        f"/api/v1/data/citizen/{personal_id(2)}", headers=read | {"X-Request-Id": "d-2"}
    ).is_success

    mine = person_headers(client, "c1", Role.citizen, personal_id=personal_id(1))
    report = client.get("/api/v1/people/me/reads", headers=mine)
    assert report.status_code == 200, report.text
    items = report.json()["items"]
    assert [(i["request_id"], i["dataset"]) for i in items] == [
        ("m-1", "masters/person"),
        ("d-1", "citizen"),
    ]
    assert {(i["organisation"], i["system"], i["purpose"], i["on_behalf_of"]) for i in items} == {
        ("H33.05", "portal", "public-service", "cb-07")
    }
    theirs = person_headers(client, "c2", Role.citizen, personal_id=personal_id(2))
    assert [
        i["request_id"]
        for i in client.get("/api/v1/people/me/reads", headers=theirs).json()["items"]
    ] == ["d-2"]
    # Nobody else's: the report of a named person is for auditors, not citizens.
    named = client.get(f"/api/v1/audit/subjects/{personal_id(2)}", headers=mine)
    assert named.status_code == 403 and named.json()["error"]["code"] == "not-permitted"
    # Only a citizen has an own report; a citizen has nothing else.
    staff = person_headers(client, "aud", Role.auditor)
    refused = client.get("/api/v1/people/me/reads", headers=staff)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not-permitted"
    assert client.get("/api/v1/grants", headers=mine).status_code == 403


def test_a_citizen_role_needs_a_personal_id(client: TestClient, operator: dict[str, str]) -> None:
    person = make_person(client, "no-id")
    response = client.post(
        f"/api/v1/people/{person}/roles", json={"role": "citizen"}, headers=operator
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "role-scope"
