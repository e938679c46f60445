"""Connection monitoring through HTTP with real system tokens: last seen from the audit
stream, heartbeats, expected intervals, the report's three states, one detection per silence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from lienthong.http.permissions import Role
from lienthong.soc.connections.report import activity_report
from lienthong.soc.connections.service import check_silence
from lienthong.soc.detection import Detection
from tests.exchange.factories import get_token, issue_credential
from tests.people.factories import person_headers
from tests.registry.factories import make_org, make_system

HEARTBEAT = "/api/v1/systems/me/heartbeat"
REPORT = "/api/v1/reports/connections/activity"


def _entries(engine: Engine, action: str) -> list[tuple[int, dict[str, Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.seq, AuditEntry.body).order_by(AuditEntry.seq))
        found = [(seq, json.loads(body)) for seq, body in rows]
    return [(seq, body) for seq, body in found if body["action"] == action]


def _province(client: TestClient, operator: dict[str, str]) -> dict[str, str]:
    """H33.01 with a calling system (portal) and one never used (idle); H33.02 with none."""
    make_org(client, operator, "H33.01")
    make_org(client, operator, "H33.02")
    make_system(client, operator, "H33.01", "portal")
    make_system(client, operator, "H33.01", "idle")
    return get_token(client, issue_credential(client, operator, "H33.01", "portal"))


def _states(report: dict[str, Any]) -> dict[str, str]:
    found = {o["organisation"]: o["state"] for o in report["by_organisation"]}
    for org in report["by_organisation"]:
        for s in org["systems"]:
            found[f"{s['organisation']}/{s['system']}"] = s["state"]
    return found


def test_a_heartbeat_is_audited_and_makes_the_system_active(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    token = _province(client, operator)
    answer = client.post(HEARTBEAT, headers=token)
    assert answer.status_code == 200, answer.text
    assert (
        answer.json()["system"] == "portal" and answer.json()["expected_interval_seconds"] == 3600
    )
    [(_, body)] = _entries(engine, "system.heartbeat")
    assert body["actor"]["system"] == "portal" and body["outcome"] == "ok"
    report = client.get(REPORT, headers=operator)
    assert report.status_code == 200, report.text
    states = _states(report.json())
    assert states == {
        "H33.01": "active",
        "H33.01/portal": "active",
        "H33.01/idle": "never-connected",
        "H33.02": "never-connected",
    }
    assert report.json()["organisations"] == {"never-connected": 1, "silent": 0, "active": 1}
    assert report.json()["systems"] == {"never-connected": 1, "silent": 0, "active": 1}


def test_a_heartbeat_needs_a_system_token_and_refusals_are_audited(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    token = _province(client, operator)
    anonymous = client.post(HEARTBEAT)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "missing-token"
    as_operator = client.post(HEARTBEAT, headers=operator)
    assert as_operator.status_code == 401
    assert [b["outcome"] for _, b in _entries(engine, "operator.denied")][-2:] == [
        "missing-token",
        "invalid-token",
    ]
    client.patch(
        "/api/v1/organisations/H33.01/systems/portal",
        json={"status": "suspended"},
        headers=operator,
    )
    suspended = client.post(HEARTBEAT, headers=token)
    assert suspended.status_code == 403 and suspended.json()["error"]["code"] == "system-suspended"
    [(_, body)] = _entries(engine, "system.heartbeat")
    assert body["outcome"] == "system-suspended"


def test_last_seen_is_read_from_the_audit_stream(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    _province(client, operator)
    [(seq, body)] = [e for e in _entries(engine, "auth.token") if e[1]["outcome"] == "ok"]
    report = activity_report(engine=engine, settings=settings)
    [portal] = [s for o in report.by_organisation for s in o.systems if s.system == "portal"]
    assert portal.last_seen_at == datetime.fromisoformat(body["at"])
    later = report.at + timedelta(hours=2)
    found: list[Detection] = []
    check_silence(engine, settings=settings, sink=found.extend, now=later)
    assert [d.audit_seqs for d in found] == [(seq,)]  # the evidence: its last audited request


def test_a_silence_raises_one_detection_until_the_system_is_heard_again(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    token = _province(client, operator)
    interval = client.put(
        "/api/v1/organisations/H33.01/systems/portal/expected-interval",
        json={"seconds": 300},
        headers=operator,
    )
    assert interval.status_code == 200, interval.text
    assert interval.json()["expected_interval_seconds"] == 300
    assert client.post(HEARTBEAT, headers=token).status_code == 200
    [(beat, _)] = _entries(engine, "system.heartbeat")
    found: list[Detection] = []

    def sink(detections: Sequence[Detection]) -> None:
        found.extend(detections)

    now = datetime.fromisoformat(client.get(REPORT, headers=operator).json()["at"])
    check_silence(engine, settings=settings, sink=sink, now=now + timedelta(seconds=200))
    assert found == []  # within its interval
    check_silence(engine, settings=settings, sink=sink, now=now + timedelta(seconds=400))
    check_silence(engine, settings=settings, sink=sink, now=now + timedelta(seconds=900))
    [silent] = found
    assert (silent.rule_id, silent.group_key, silent.audit_seqs) == (
        "connection-silent",
        "system=H33.01/portal",
        (beat,),
    )
    assert silent.severity == "medium" and silent.summary["expected_interval_seconds"] == 300
    report = activity_report(engine=engine, settings=settings, now=now + timedelta(seconds=400))
    assert _states(report.model_dump(mode="json", by_alias=True))["H33.01"] == "silent"
    assert client.post(HEARTBEAT, headers=token).status_code == 200  # heard again
    check_silence(engine, settings=settings, sink=sink, now=datetime.now(now.tzinfo))
    check_silence(
        engine, settings=settings, sink=sink, now=datetime.now(now.tzinfo) + timedelta(hours=1)
    )
    assert len(found) == 2  # the next silence, once


def test_the_expected_interval_is_checked_audited_and_permitted(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    _province(client, operator)
    path = "/api/v1/organisations/H33.01/systems/portal/expected-interval"
    short = client.put(path, json={"seconds": 30}, headers=operator)
    assert short.status_code == 422
    assert short.json()["error"]["details"][0]["code"] == "invalid-expected-interval"
    missing = client.put(
        "/api/v1/organisations/H33.01/systems/nope/expected-interval",
        json={"seconds": 600},
        headers=operator,
    )
    assert missing.status_code == 404
    analyst = person_headers(client, "analyst", Role.security_analyst)
    assert client.put(path, json={"seconds": 600}, headers=analyst).status_code == 403
    assert client.get(REPORT, headers=analyst).status_code == 200
    admin = person_headers(client, "admin", Role.organisation_admin, "H33.01")
    assert client.put(path, json={"seconds": 600}, headers=admin).status_code == 200
    assert (
        client.put(path, json={"seconds": None}, headers=admin).json()["expected_interval_seconds"]
        == 3600
    )
    changes = _entries(engine, "system.expected-interval")
    assert len(changes) == 2 and changes[0][1]["detail"] == {
        "organisation": "H33.01",
        "system": "portal",
    }
