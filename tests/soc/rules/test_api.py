"""``/api/v1/soc/rules`` and ``lienthong soc rules``: listing, switching (audited), testing a
rule over a time range (nothing stored), permissions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.cli import run_cli
from tests.people.factories import make_person, pat


def _actions(engine: Engine, prefix: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [b for (raw,) in rows if (b := json.loads(raw))["action"].startswith(prefix)]


def _stuffing(client: TestClient) -> None:
    for n in range(10):
        form = {"grant_type": "client_credentials", "client_id": f"ltc_{n}", "client_secret": "x"}
        client.post("/oauth/token", data=form)


def test_list_show_switch_and_test(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    listed = client.get("/api/v1/soc/rules", headers=operator)
    assert listed.status_code == 200
    rules = {r["id"]: r for r in listed.json()}
    assert len(rules) == 10 and rules["credential-stuffing"]["enabled"] is True
    assert rules["credential-stuffing"]["threshold"]["kind"] == "value_count"
    one = client.get("/api/v1/soc/rules/credential-stuffing", headers=operator).json()
    assert "correlation:" in one["sigma"] and one["level"] == "high"
    assert (
        client.get(f"/api/v1/soc/rules/{one['uuid']}", headers=operator).json()["id"] == one["id"]
    )

    missing = client.get("/api/v1/soc/rules/nope", headers=operator)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "soc-rule-not-found"

    off = client.post("/api/v1/soc/rules/anonymous-flood/disable", headers=operator)
    assert off.json()["enabled"] is False
    assert client.post("/api/v1/soc/rules/anonymous-flood/enable", headers=operator).json()[
        "enabled"
    ]
    switched = _actions(engine, "soc.rule-")
    assert [(e["action"], e.get("rule")) for e in switched if e["action"] != "soc.rule-read"] == [
        ("soc.rule-disable", "anonymous-flood"),
        ("soc.rule-enable", "anonymous-flood"),
    ]

    start = datetime.now(UTC) - timedelta(minutes=1)
    _stuffing(client)
    until = datetime.now(UTC) + timedelta(minutes=1)
    body = {"from": start.isoformat(), "until": until.isoformat()}
    tested = client.post("/api/v1/soc/rules/credential-stuffing/test", json=body, headers=operator)
    assert tested.status_code == 200, tested.text
    [found] = tested.json()
    assert found["group_key"] == "ip=testclient" and len(found["audit_seqs"]) == 10
    before = {"from": (start - timedelta(hours=2)).isoformat(), "until": start.isoformat()}
    empty = client.post("/api/v1/soc/rules/credential-stuffing/test", json=before, headers=operator)
    assert empty.json() == []
    backwards = {"from": until.isoformat(), "until": start.isoformat()}
    bad = client.post(
        "/api/v1/soc/rules/credential-stuffing/test", json=backwards, headers=operator
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "soc-range-invalid"
    with engine.connect() as conn:  # a test stores nothing
        assert conn.execute(text("SELECT count(*) FROM soc_positions")).scalar() == 0
    assert [e["count"] for e in _actions(engine, "soc.rule-test")] == [1, 0]


def test_an_analyst_reads_and_tests_but_does_not_switch(client: TestClient, engine: Engine) -> None:
    analyst = make_person(client, "analyst", [(Role.security_analyst, None)])
    headers = pat(client, analyst)
    assert client.get("/api/v1/soc/rules", headers=headers).status_code == 200
    refused = client.post("/api/v1/soc/rules/anonymous-flood/disable", headers=headers)
    assert refused.status_code == 403
    assert client.get("/api/v1/soc/rules").status_code == 401


def test_the_command_line(client: TestClient, settings: Settings, engine: Engine) -> None:
    listed = run_cli(settings, "soc", "rules", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 10
    off = run_cli(settings, "soc", "rules", "disable", "person-enumeration")
    assert off.returncode == 0 and json.loads(off.stdout)["enabled"] is False
    assert _actions(engine, "soc.rule-disable")[0]["actor"]["via"] == "cli"
    unknown = run_cli(settings, "soc", "rules", "enable", "nope")
    assert unknown.returncode == 1
    assert json.loads(unknown.stderr)["error"]["code"] == "soc-rule-not-found"
    _stuffing(client)
    now = datetime.now(UTC)
    tested = run_cli(
        settings,
        "soc",
        "rules",
        "test",
        "credential-stuffing",
        "--from",
        (now - timedelta(hours=1)).isoformat(),
        "--until",
        (now + timedelta(hours=1)).isoformat(),
    )
    assert tested.returncode == 0, tested.stderr
    assert [d["rule_id"] for d in json.loads(tested.stdout)] == ["credential-stuffing"]
