"""Suspension through real HTTP: the operator or the owner's steward suspends an approved grant
with a reason; reads under it are refused with ``grant-suspended`` (not ``no-grant``) until it
is resumed; every change is audited with the person who made it."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.cli import run_cli
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.people.factories import make_person, pat, person_headers, steward
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


def _grant_entries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"] in SUSPENSION]


SUSPENSION = {"grant.suspend", "grant.resume"}


def _post(client: TestClient, path: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(path, json=body or None, headers=headers)


def test_suspend_refuses_reads_with_its_own_code_and_resume_restores_them(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    grant = request_grant(client, token, fields=["personal_id", "full_name"])
    approve(client, operator, grant["id"])
    stats = request_grant(client, token, fields=["personal_id"], purposes=["statistics"])
    approve(client, operator, stats["id"])
    url = f"/api/v1/data/citizen/{citizens[0]}"
    assert client.get(url, headers=token | PURPOSE).status_code == 200
    path = f"/api/v1/grants/{grant['id']}"

    owner = make_person(client, "owner-steward", [(Role.data_steward, "H33.01")])
    unexplained = client.post(path + "/suspend", json={}, headers=pat(client, owner))
    assert unexplained.status_code == 422  # a suspension says why
    suspended = _post(client, path + "/suspend", pat(client, owner), reason="leak under review")
    assert suspended.status_code == 200, suspended.text
    body = suspended.json()
    assert body["status"] == "suspended" and body["suspended_by"] == f"person:{owner}"
    assert body["suspension_reason"] == "leak under review" and body["suspended_at"]

    refused = client.get(url, headers=token | PURPOSE)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "grant-suspended"
    listed = client.get("/api/v1/data/citizen", headers=token | PURPOSE)
    assert listed.json()["error"]["code"] == "grant-suspended"
    # The other grant (another purpose) still reads: only the suspended one stops.
    assert client.get(url, headers=token | {"X-Purpose": "statistics"}).status_code == 200
    # A suspended grant is not pending: nobody approves it again behind the suspension.
    again = _post(client, path + "/approve", steward(client, "H33.01", 2))
    assert again.status_code == 409 and again.json()["error"]["code"] == "grant-not-pending"
    # The system sees why.
    seen = client.get(path, headers=token).json()
    assert seen["status"] == "suspended" and seen["suspension_reason"] == "leak under review"

    resumed = _post(client, path + "/resume", operator, reason="reviewed")
    assert resumed.status_code == 200 and resumed.json()["status"] == "approved"
    assert resumed.json()["suspended_by"] is None and resumed.json()["suspension_reason"] is None
    assert client.get(url, headers=token | PURPOSE).status_code == 200
    assert _post(client, path + "/resume", operator).json()["status"] == "approved"  # no change

    audited = _grant_entries(engine)
    assert [e["action"] for e in audited] == ["grant.suspend", "grant.resume"]
    assert audited[0]["actor"]["kind"] == "person" and audited[0]["actor"]["person"] == owner
    assert audited[0]["detail"]["reason"] == "leak under review"
    assert audited[1]["actor"] == {"kind": "operator", "break_glass": True}
    assert audited[1]["detail"]["reason"] == "reviewed"
    assert audited[1]["detail"]["suspended_by"] == f"person:{owner}"


def test_who_may_suspend_and_what_can_be_suspended(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    make_org(client, operator, "H33.01")
    make_org(client, operator, "H33.03")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    grant = request_grant(client, token, fields=["full_name"])
    path = f"/api/v1/grants/{grant['id']}"
    early = _post(client, path + "/suspend", operator, reason="r")
    assert early.status_code == 409 and early.json()["error"]["code"] == "grant-not-approved"
    approve(client, operator, grant["id"])

    # A steward of an organisation that neither owns the dataset nor asked: unknown grant.
    stranger = _post(client, path + "/suspend", steward(client, "H33.03"), reason="r")
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "unknown-grant"
    # The consumer's steward sees its system's grant but does not own the dataset.
    consumer = _post(client, path + "/suspend", steward(client, "H33.05"), reason="r")
    assert consumer.status_code == 403 and consumer.json()["error"]["code"] == "not-the-owner"
    for role, org in ((Role.organisation_admin, "H33.01"), (Role.auditor, None)):
        headers = person_headers(client, f"{role}-{org}", role, org)
        refused = _post(client, path + "/suspend", headers, reason="r")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not-permitted"
    assert _post(client, path + "/suspend", token, reason="r").status_code == 403

    operator_person = person_headers(client, "op", Role.platform_operator)
    done = _post(client, path + "/suspend", operator_person, reason="incident 42")
    assert done.json()["status"] == "suspended" and done.json()["suspended_by"].startswith(
        "person:"
    )
    twice = _post(client, path + "/suspend", operator, reason="again")
    assert twice.json()["suspension_reason"] == "incident 42"  # suspending again changes nothing
    assert _post(client, path + "/revoke", steward(client, "H33.01")).json()["status"] == "revoked"
    late = _post(client, path + "/resume", operator)
    assert late.status_code == 409 and late.json()["error"]["code"] == "grant-not-approved"
    assert [e["action"] for e in _grant_entries(engine)] == ["grant.suspend"]


def test_the_console_suspends_and_resumes(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    grant = request_grant(client, token, fields=["full_name"])
    approve(client, operator, grant["id"])
    unexplained = run_cli(settings, "grants", "suspend", str(grant["id"]))
    assert unexplained.returncode != 0  # --reason is required
    done = run_cli(settings, "grants", "suspend", str(grant["id"]), "--reason", "audit", "--json")
    assert done.returncode == 0, done.stderr
    [shown] = json.loads(done.stdout)
    assert shown["status"] == "suspended" and shown["suspended_by"] == "operator"
    assert client.get(f"/api/v1/grants/{grant['id']}", headers=token).json()["status"] == (
        "suspended"
    )
    back = run_cli(settings, "grants", "resume", str(grant["id"]), "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)[0]["status"] == "approved"
    actors = [e["actor"] for e in _grant_entries(engine)]
    assert [a["via"] for a in actors] == ["cli", "cli"]
