"""The alert routes over HTTP: lists with filters and pages, one alert with its evidence,
acknowledge and resolve with a reason (audited), the 409 of a wrong transition, suppression
windows, notification targets (the secret shown once) and who may do what."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.people.factories import make_person, pat
from tests.soc.alerts.factories import NOON, finding, store


def _audited(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"] == action]


def _analyst(client: TestClient) -> dict[str, str]:
    return pat(client, make_person(client, "analyst", [(Role.security_analyst, None)]))


def test_the_analyst_lists_reads_acknowledges_and_resolves(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    who = _analyst(client)
    [stuffing] = store(engine, settings, finding([3, 4]))
    [flood] = store(
        engine, settings, finding([5], rule="anonymous-flood", group="source=*", severity="low")
    )
    listed = client.get("/api/v1/soc/alerts", headers=who)
    assert listed.status_code == 200
    assert [a["id"] for a in listed.json()["items"]] == [flood, stuffing]  # newest first
    high = client.get("/api/v1/soc/alerts", params={"severity": "high"}, headers=who).json()
    assert [a["id"] for a in high["items"]] == [stuffing]
    by_rule = client.get("/api/v1/soc/alerts", params={"rule": "anonymous-flood"}, headers=who)
    assert [a["id"] for a in by_rule.json()["items"]] == [flood]
    later = client.get("/api/v1/soc/alerts", params={"since": "2026-12-01T00:00:00Z"}, headers=who)
    assert later.json()["items"] == []
    paged = client.get("/api/v1/soc/alerts", params={"limit": 1}, headers=who).json()
    rest = client.get(
        "/api/v1/soc/alerts", params={"limit": 1, "cursor": paged["next_cursor"]}, headers=who
    ).json()
    assert [a["id"] for a in paged["items"] + rest["items"]] == [flood, stuffing]

    shown = client.get(f"/api/v1/soc/alerts/{stuffing}", headers=who).json()
    assert shown["evidence"] == [3, 4] and shown["first_seen"].startswith(NOON.date().isoformat())

    no_reason = client.post(f"/api/v1/soc/alerts/{stuffing}/acknowledge", json={}, headers=who)
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["details"][0]["field"] == "reason"
    ack = client.post(
        f"/api/v1/soc/alerts/{stuffing}/acknowledge", json={"reason": "đang xác minh"}, headers=who
    )
    assert ack.status_code == 200, ack.text
    assert ack.json()["status"] == "acknowledged"
    assert ack.json()["acknowledged_by"].startswith("Nguyễn Văn analyst (person:")
    again = client.post(
        f"/api/v1/soc/alerts/{stuffing}/acknowledge", json={"reason": "lần nữa"}, headers=who
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "alert-transition"
    done = client.post(
        f"/api/v1/soc/alerts/{stuffing}/resolve", json={"reason": "đã khoá"}, headers=who
    )
    assert done.json()["status"] == "resolved"
    assert [e["detail"]["alert"] for e in _audited(engine, "alert.acknowledge")] == [stuffing]
    [resolved] = _audited(engine, "alert.resolve")
    assert resolved["detail"]["reason"] == "đã khoá" and resolved["actor"]["kind"] == "person"
    missing = client.get("/api/v1/soc/alerts/999999", headers=who)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown-alert"


def test_suppression_windows_are_made_listed_and_ended(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    who = _analyst(client)
    made = client.post(
        "/api/v1/soc/suppressions",
        json={
            "rule_id": "credential-stuffing",
            "group_pattern": "source=10.0.*",
            "starts_at": "2026-11-30T11:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
            "reason": "kiểm thử xâm nhập",
        },
        headers=who,
    )
    assert made.status_code == 201, made.text
    window = made.json()["id"]
    [kept] = store(engine, settings, finding([9]))
    assert client.get(f"/api/v1/soc/alerts/{kept}", headers=who).json()["status"] == "suppressed"
    current = client.get("/api/v1/soc/suppressions", params={"current": True}, headers=who)
    assert [w["id"] for w in current.json()["items"]] == [window]
    ended = client.post(f"/api/v1/soc/suppressions/{window}/end", headers=who)
    assert ended.status_code == 200
    assert (
        client.get("/api/v1/soc/suppressions", params={"current": True}, headers=who).json()[
            "items"
        ]
        == []
    )
    bad = client.post(
        "/api/v1/soc/suppressions",
        json={"rule_id": "x", "ends_at": "2000-01-01T00:00:00Z", "reason": "x"},
        headers=who,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["code"] == "invalid-suppression-window"
    assert len(_audited(engine, "alert.suppress")) == 1
    assert len(_audited(engine, "alert.suppress-end")) == 1


def test_targets_are_the_operators_and_the_secret_is_shown_once(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    analyst = _analyst(client)
    body = {"name": "siem", "kind": "webhook", "url": "https://siem.tinh.test/hooks/lienthong"}
    assert client.post("/api/v1/soc/targets", json=body, headers=analyst).status_code == 403
    made = client.post("/api/v1/soc/targets", json=body, headers=operator)
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    twice = client.post("/api/v1/soc/targets", json=body, headers=operator)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "notification-target-exists"
    listed = client.get("/api/v1/soc/targets", headers=operator)
    assert [t["name"] for t in listed.json()] == ["siem"]
    assert secret not in listed.text
    target = made.json()["id"]
    changed = client.patch(
        f"/api/v1/soc/targets/{target}", json={"min_severity": "critical"}, headers=operator
    )
    assert changed.json()["min_severity"] == "critical"
    store(engine, settings, finding([1], severity="critical"))
    shown = client.get(f"/api/v1/soc/targets/{target}", headers=operator).json()
    assert shown["pending"] == 1
    queued = client.get(f"/api/v1/soc/targets/{target}/deliveries", headers=operator).json()
    assert [d["status"] for d in queued] == ["pending"]
    assert client.delete(f"/api/v1/soc/targets/{target}", headers=operator).status_code == 204
    assert client.get(f"/api/v1/soc/targets/{target}", headers=operator).status_code == 404
    [created] = _audited(engine, "soc.target-create")
    assert created["detail"]["destination"] == "siem.tinh.test"
    everything = json.dumps(
        [_audited(engine, a) for a in ("soc.target-create", "soc.target-delete")]
    )
    assert secret not in everything and "/hooks/lienthong" not in everything
