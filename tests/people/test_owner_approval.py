"""Owner approval through real HTTP: only a data steward of the dataset's owner decides, never
the requester, never the operator; four eyes for sensitive fields; every decision audited with
the person who made it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.http.permissions import Role
from tests.exchange.factories import get_token, issue_credential, make_consumer, request_grant
from tests.people.factories import make_person, pat, person_headers, set_owner, steward
from tests.registry.factories import make_org, make_system


def _entries(engine: Engine, prefix: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"].startswith(prefix)]


def _post(client: TestClient, path: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(path, json=body or None, headers=headers)


@pytest.fixture
def grant(client: TestClient, operator: dict[str, str]) -> dict[str, Any]:
    """A consumer of H33.02 asks for citizens' personal IDs (sensitive); H33.01 owns them."""
    make_org(client, operator, "H33.01")
    make_org(client, operator, "H33.03")
    set_owner(client, operator, "citizen", "H33.01")
    return request_grant(client, get_token(client, make_consumer(client, operator)))


def test_four_eyes_by_default_for_sensitive_fields(
    client: TestClient, grant: dict[str, Any], engine: Engine
) -> None:
    assert grant["approvals_needed"] == 2
    path = f"/api/v1/grants/{grant['id']}/approve"
    first = _post(client, path, steward(client, "H33.01", 1))
    assert first.status_code == 200
    body = first.json()
    assert body["status"] == "requested" and [a["organisation"] for a in body["approvals"]] == [
        "H33.01"
    ]
    again = _post(client, path, steward(client, "H33.01", 1))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already-approved"
    second = _post(client, path, steward(client, "H33.01", 2))
    assert second.status_code == 200 and second.json()["status"] == "approved"
    persons = [a["person"] for a in second.json()["approvals"]]
    assert len(set(persons)) == 2 and second.json()["decided_by"] == f"person:{persons[1]}"
    audited = _entries(engine, "grant.approv")
    assert [e["action"] for e in audited] == ["grant.approval", "grant.approve"]
    assert [e["actor"]["person"] for e in audited] == persons
    assert all(
        e["actor"]["kind"] == "person" and e["actor"]["organisation"] == "H33.01" for e in audited
    )


def test_one_approval_without_sensitive_fields_and_four_eyes_when_the_owner_asks(
    client: TestClient, operator: dict[str, str], grant: dict[str, Any]
) -> None:
    token = get_token(client, make_consumer(client, operator, "H33.04", "tax"))
    plain = request_grant(client, token, fields=["full_name", "sex"])
    assert plain["approvals_needed"] == 1
    done = _post(client, f"/api/v1/grants/{plain['id']}/approve", steward(client, "H33.01"))
    assert done.json()["status"] == "approved"
    set_owner(client, operator, "citizen", "H33.01", four_eyes=True)
    strict = request_grant(client, token, fields=["full_name"])
    assert strict["approvals_needed"] == 2
    set_owner(client, operator, "citizen", "H33.01", four_eyes=False)
    relaxed = client.get(f"/api/v1/grants/{grant['id']}", headers=operator).json()
    assert relaxed["approvals_needed"] == 1  # the owner turned four eyes off for its dataset


def test_only_a_steward_of_the_owner_decides(
    client: TestClient, operator: dict[str, str], grant: dict[str, Any]
) -> None:
    path = f"/api/v1/grants/{grant['id']}/approve"
    # A steward of an organisation that neither asked nor owns does not even see the grant.
    other = _post(client, path, steward(client, "H33.03"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "unknown-grant"
    named = _post(client, path, steward(client, "H33.03"), organisation="H33.01")
    assert named.json()["error"]["code"] == "unknown-grant"  # naming the owner changes nothing
    # The consumer's own steward sees its system's request but does not own the dataset.
    consumer = _post(client, path, steward(client, "H33.02"))
    assert consumer.status_code == 403 and consumer.json()["error"]["code"] == "not-the-owner"
    for headers in (
        operator,
        person_headers(client, "op", Role.platform_operator),
        person_headers(client, "admin", Role.organisation_admin, "H33.01"),
        person_headers(client, "aud", Role.auditor),
    ):
        refused = _post(client, path, headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not-permitted"
    after = client.get(f"/api/v1/grants/{grant['id']}", headers=operator).json()
    assert after["status"] == "requested" and after["approvals"] == []


def test_a_steward_decides_a_request_of_its_own_organisations_system(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    """The owner's own system asking is not self-approval: the deciding person did not ask.
    Four eyes still holds: two different stewards."""
    make_org(client, operator, "H33.01")
    set_owner(client, operator, "citizen", "H33.01")
    make_system(client, operator, "H33.01", "x")
    own = request_grant(
        client, get_token(client, issue_credential(client, operator, "H33.01", "x"))
    )
    assert own["approvals_needed"] == 2  # personal IDs: four eyes
    path = f"/api/v1/grants/{own['id']}/approve"
    first = _post(client, path, steward(client, "H33.01", 1))
    assert first.status_code == 200 and first.json()["status"] == "requested"
    again = _post(client, path, steward(client, "H33.01", 1))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already-approved"
    second = _post(client, path, steward(client, "H33.01", 2))
    assert second.status_code == 200 and second.json()["status"] == "approved"
    assert len({a["person"] for a in second.json()["approvals"]}) == 2
    assert [e["action"] for e in _entries(engine, "grant.approv")] == [
        "grant.approval",
        "grant.approve",
    ]


def test_the_requester_never_approves_its_own_request(
    client: TestClient, operator: dict[str, str]
) -> None:
    make_org(client, operator, "H33.01")
    set_owner(client, operator, "citizen", "H33.01", four_eyes=False)
    # A person who administers the owner and stewards it asks for the owner's own system.
    make_system(client, operator, "H33.01", "x")
    asker = make_person(
        client, "asker", [(Role.organisation_admin, "H33.01"), (Role.data_steward, "H33.01")]
    )
    headers = pat(client, asker)
    own = request_grant(client, headers, consumer_organisation="H33.01", consumer_system="x")
    refused = _post(client, f"/api/v1/grants/{own['id']}/approve", headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "self-approval"
    # Another token of the same person is the same person.
    another = _post(client, f"/api/v1/grants/{own['id']}/approve", pat(client, asker))
    assert another.json()["error"]["code"] == "self-approval"
    done = _post(client, f"/api/v1/grants/{own['id']}/approve", steward(client, "H33.01"))
    assert done.json()["status"] == "approved"
    # A person who administers the consumer and stewards the owner asks, then tries to approve.
    make_consumer(client, operator, "H33.02", "portal")
    both = make_person(
        client, "both", [(Role.organisation_admin, "H33.02"), (Role.data_steward, "H33.01")]
    )
    headers = pat(client, both)
    asked = request_grant(client, headers, consumer_organisation="H33.02", consumer_system="portal")
    mine = _post(client, f"/api/v1/grants/{asked['id']}/approve", headers)
    assert mine.status_code == 403 and mine.json()["error"]["code"] == "self-approval"
    other = _post(client, f"/api/v1/grants/{asked['id']}/approve", steward(client, "H33.01"))
    assert other.json()["status"] == "approved"


def test_an_administrator_requests_only_for_its_own_organisation(
    client: TestClient, operator: dict[str, str]
) -> None:
    make_org(client, operator, "H33.01")
    make_consumer(client, operator, "H33.02", "portal")
    admin = person_headers(client, "adm1", Role.organisation_admin, "H33.01")
    response = client.post(
        "/api/v1/grants",
        json={
            "dataset": "citizen",
            "fields": ["full_name"],
            "units": ["33"],
            "purposes": ["public-service"],
            "expires_on": "2099-01-01",
            "consumer_organisation": "H33.02",
            "consumer_system": "portal",
        },
        headers=admin,
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "not-permitted"


def test_a_dataset_without_owner_cannot_be_decided(
    client: TestClient, operator: dict[str, str]
) -> None:
    make_org(client, operator, "H33.01")
    grant = request_grant(client, get_token(client, make_consumer(client, operator)))
    assert grant["approvals_needed"] is None
    path = f"/api/v1/grants/{grant['id']}/approve"
    # Its consumer's steward sees the grant: nobody can decide it yet.
    refused = _post(client, path, steward(client, "H33.02"))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "dataset-has-no-owner"
    # To a steward of an organisation that owns nothing of it, it is unknown.
    unknown = _post(client, path, steward(client, "H33.01"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown-grant"


def test_the_operator_and_the_owner_revoke_others_do_not(
    client: TestClient, operator: dict[str, str], grant: dict[str, Any], engine: Engine
) -> None:
    set_owner(client, operator, "citizen", "H33.01", four_eyes=False)
    path = f"/api/v1/grants/{grant['id']}"
    assert (
        _post(client, path + "/approve", steward(client, "H33.01")).json()["status"] == "approved"
    )
    other = _post(client, path + "/revoke", steward(client, "H33.03"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "unknown-grant"
    consumer = _post(client, path + "/revoke", steward(client, "H33.02"))
    assert consumer.status_code == 403 and consumer.json()["error"]["code"] == "not-the-owner"
    owner = _post(client, path + "/revoke", steward(client, "H33.01"), reason="ended")
    assert owner.json()["status"] == "revoked"
    assert _post(client, path + "/revoke", operator).json()["status"] == "revoked"
    [revoked] = _entries(engine, "grant.revoke")
    assert revoked["actor"]["kind"] == "person"
