"""ECS documents of real audit entries (written by the application) and of alerts."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lienthong.audit.models import AuditEntry
from lienthong.soc.detection import Detection
from lienthong.soc.siem.ecs import alert_document, audit_document, json_line
from lienthong.soc.siem.export import Origin, alert_message
from tests.exchange.factories import get_token, make_consumer


def _documents(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.seq, AuditEntry.body, AuditEntry.hash))
        return [audit_document(seq, body, hash_) for seq, body, hash_ in rows]


def test_real_entries_map_to_ecs_and_keep_everything_else_under_lienthong(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    consumer = make_consumer(client, operator)
    get_token(client, consumer)
    refused = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
    )
    assert refused.status_code == 401
    assert client.get("/api/v1/organisations").status_code == 401
    docs = _documents(engine)
    by_action: dict[str, list[dict[str, object]]] = {}
    for doc in docs:
        by_action.setdefault(doc["event"]["action"], []).append(doc)  # type: ignore[index]
    failed, issued = sorted(by_action["auth.token"], key=lambda d: d["event"]["outcome"])  # type: ignore[index]
    assert failed["event"]["outcome"] == "failure"  # type: ignore[index]
    assert failed["event"]["reason"] == "invalid-client"  # type: ignore[index]
    assert failed["event"]["category"] == ["authentication"]  # type: ignore[index]
    assert issued["user"] == {
        "id": "system:H33.02/portal",
        "name": "portal",
        "roles": ["system"],
    }
    assert issued["organization"] == {"id": "H33.02"}
    denied = by_action["operator.denied"][-1]
    assert denied["url"] == {"path": "/api/v1/organisations"}
    assert denied["http"] == {"request": {"method": "GET"}}
    with engine.connect() as conn:
        stored = dict(conn.execute(select(AuditEntry.seq, AuditEntry.hash)).all())
    for doc in docs:
        event = doc["event"]
        assert event["hash"] == stored[event["sequence"]]  # type: ignore[index]
        assert doc["lienthong"]["audit"]["seq"] == event["sequence"]  # type: ignore[index]
        datetime.fromisoformat(str(doc["@timestamp"]))
        assert "\n" not in json_line(doc)[:-1]


def test_addresses_status_and_labels() -> None:
    body = {
        "action": "data.read",
        "actor": {"kind": "person", "person": 7, "name": "Trần Thị B", "token": 3},
        "outcome": "ok",
        "ip": "2001:db8::1",
        "route": "/api/v1/data/{dataset}/{key}",
        "method": "GET",
        "status": 200,
        "dataset": "citizen",
        "purpose": "public-service",
        "count": 1,
        "at": "2026-03-01T08:30:15.123456+00:00",
        "seq": 9,
    }
    doc = audit_document(9, json.dumps(body), "ab" * 32)
    assert doc["source"] == {"ip": "2001:db8::1"}
    assert doc["http"]["response"] == {"status_code": 200}
    assert doc["user"] == {"id": "person:7", "name": "Trần Thị B", "roles": ["person"]}
    assert doc["labels"] == {"dataset": "citizen", "purpose": "public-service"}
    assert doc["event"]["category"] == ["database"] and doc["event"]["outcome"] == "success"
    assert doc["lienthong"]["audit"]["count"] == 1
    assert "source" not in audit_document(1, {**body, "ip": "testclient"}, "0" * 64)


def _alert(severity: str = "high") -> dict[str, object]:
    found = Detection(
        rule_id="connection-silent",
        rule_title="A connected system went silent",
        severity=severity,
        group_key="system=H33.01/portal",
        observed_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        audit_seqs=(41, 42),
        summary={"silent_for_seconds": 7200},
    )
    return asdict(found) | {"id": 17, "status": "open"}


def test_an_alert_maps_to_an_ecs_alert_and_to_syslog() -> None:
    doc = alert_document(_alert())
    assert doc["event"]["kind"] == "alert" and doc["event"]["severity"] == 73
    assert doc["rule"] == {"id": "connection-silent", "name": "A connected system went silent"}
    assert doc["lienthong"]["alert"]["audit_seqs"] == [41, 42]
    assert doc["@timestamp"] == "2026-03-01T09:00:00+00:00"
    raw = alert_message(_alert("critical"), Origin("h")).render()
    assert raw.startswith(b"<114>1 2026-03-01T09:00:00.000000Z h lienthong - alert [alert@32473 ")
    with pytest.raises(ValueError):
        alert_document(_alert("severe"))
