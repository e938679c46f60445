"""Delivery by Standard Webhooks to a real receiver on 127.0.0.1 that verifies every signature
with the ``standardwebhooks`` package: what the grant allows and nothing else, audited as a
read; suspended grants pause, retries back off, dead letters are kept and replayed; replay from
a position sends again under new message ids."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.changes.conftest import GRANTED, OUTSIDE, Consumer, Feed, citizens
from tests.ingest.factories import citizen_row, personal_id


def _entries(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"] == action]


def _fast(attempts: int, now: datetime) -> datetime | None:
    """Retry at once, three attempts in all (the real schedule waits minutes)."""
    return now - timedelta(seconds=1) if attempts < 3 else None


def test_a_consumer_receives_only_its_communes_and_fields_signed_and_audited(
    client: TestClient, feed: Feed
) -> None:
    box, consumer, created = feed.box, feed.consumer, feed.created
    assert created["secret"].startswith("whsec_") and created["kind"] == "webhook"
    shown = client.get(f"/api/v1/subscriptions/{created['id']}", headers=consumer.headers)
    assert shown.status_code == 200 and "secret" not in shown.json()  # shown once

    rows = [*citizens(4), citizen_row(5, commune_code=OUTSIDE)]
    feed.ingest(rows)
    done = feed.deliver()
    assert done.events == 4 and box.bad_signatures == 0
    events = box.events()
    assert [e["key"] for e in events] == [personal_id(n) for n in range(1, 5)]
    assert all(set(e["record"]) == set(GRANTED) for e in events)
    assert all(e["changed"] == GRANTED for e in events)
    raw = json.dumps([body for _, body in box.messages])
    assert f'"{OUTSIDE}"' not in raw and personal_id(5) not in raw and "phone" not in raw

    # A change of a field the grant does not cover is not sent; one it covers is.
    feed.ingest(
        [
            citizen_row(1, phone="0999999999"),
            citizen_row(2, full_name="Lê Văn Hai"),
            *citizens(4)[2:],
            citizen_row(5, commune_code=OUTSIDE),
        ],
    )
    feed.deliver()
    update = box.events()[4:]
    assert [(e["key"], e["operation"], e["changed"]) for e in update] == [
        (personal_id(2), "update", ["full_name"])
    ]
    assert update[0]["record"]["full_name"] == "Lê Văn Hai"

    audited = _entries(feed.engine, "changes.deliver")
    assert [e["count"] for e in audited] == [4, 1]
    first = audited[0]
    assert first["purpose"] == "public-service" and first["dataset"] == "citizen"
    assert first["actor"]["system"] == "portal" and sorted(first["fields"]) == sorted(GRANTED)
    assert len(first["keys"]) == 4 and len(first["subjects"]) == 4
    assert personal_id(1) not in json.dumps(first)  # hashed, never as sent
    listed = client.get("/api/v1/subscriptions", headers=consumer.headers).json()
    assert listed[0]["position"] >= 7 and listed[0]["attempts"] == 0


def test_a_suspended_grant_pauses_deliveries_and_resuming_sends_what_was_held(
    client: TestClient, operator: dict[str, str], feed: Feed
) -> None:
    box, consumer = feed.box, feed.consumer
    grant = f"/api/v1/grants/{consumer.grant}"
    suspended = client.post(grant + "/suspend", json={"reason": "review"}, headers=operator)
    assert suspended.status_code == 200, suspended.text
    feed.ingest(citizens(2))
    assert feed.deliver().events == 0 and box.messages == []
    assert client.post(grant + "/resume", json={}, headers=operator).status_code == 200
    assert feed.deliver().events == 2 and len(box.events()) == 2

    revoked = client.post(grant + "/revoke", json={"reason": "ended"}, headers=operator)
    assert revoked.status_code == 200, revoked.text
    feed.ingest(citizens(3))
    assert feed.deliver().events == 0 and len(box.events()) == 2
    listed = client.get("/api/v1/subscriptions", headers=consumer.headers).json()
    assert listed[0]["status"] == "stopped"


def test_refusals_are_retried_then_dead_lettered_and_a_dead_letter_is_replayed(
    client: TestClient, feed: Feed
) -> None:
    box, consumer, created = feed.box, feed.consumer, feed.created
    feed.ingest(citizens(2))
    box.fail_next = 1
    done = feed.deliver(retry=_fast)  # refused once, sent on the retry
    assert done.failed == 1 and done.events == 2 and box.refused == 1
    ids = box.message_ids()
    assert len(ids) == 1

    box.fail_always = True
    feed.ingest(citizens(3))
    done = feed.deliver(retry=_fast)
    assert done.failed == 3 and done.dead == 1 and len(box.events()) == 2
    path = f"/api/v1/subscriptions/{created['id']}"
    sub = client.get(path, headers=consumer.headers).json()
    assert sub["attempts"] == 0 and sub["last_error"].startswith("HTTP 503")
    letters = client.get(path + "/dead-letters", headers=consumer.headers).json()
    assert [(d["events"], d["status"]) for d in letters] == [(1, "dead")]

    box.fail_always = False
    again = client.post(f"{path}/dead-letters/{letters[0]['id']}/replay", headers=consumer.headers)
    assert again.status_code == 200 and again.json()["status"] == "replay"
    feed.deliver()
    assert [e["key"] for e in box.events()][-1] == personal_id(3)
    assert box.message_ids()[-1] == letters[0]["message"]  # the same id: receivers dedupe
    letters = client.get(path + "/dead-letters", headers=consumer.headers).json()
    assert letters[0]["status"] == "replayed" and letters[0]["replayed_at"]


def test_replay_from_a_position_sends_again_under_new_message_ids(
    client: TestClient, feed: Feed
) -> None:
    box, consumer, created = feed.box, feed.consumer, feed.created
    feed.ingest(citizens(3))
    feed.deliver()
    positions = [e["position"] for e in box.events()]
    path = f"/api/v1/subscriptions/{created['id']}/replay"
    answer = client.post(path, json={"from_position": positions[1]}, headers=consumer.headers)
    assert answer.status_code == 200 and answer.json()["position"] == positions[1] - 1
    feed.deliver()
    assert [e["position"] for e in box.events()] == positions + positions[1:]
    assert len(set(box.message_ids())) == 2
    assert _entries(feed.engine, "changes.replay")[0]["detail"]["from_position"] == positions[1]


def test_bad_subscriptions_are_refused_with_their_codes(
    client: TestClient, operator: dict[str, str], consumer: Consumer
) -> None:
    def post(headers: dict[str, str], **body: Any) -> tuple[int, str]:
        answer = client.post(
            "/api/v1/subscriptions",
            json={"dataset": "citizen", "purpose": "public-service"} | body,
            headers=headers,
        )
        error = answer.json()["error"]
        return answer.status_code, (error["details"] or [error])[0]["code"]

    both = {"webhook_url": "http://127.0.0.1:9/x", "nats_subject": "a.b"}
    assert post(consumer.headers, **both) == (422, "subscription-target")
    assert post(consumer.headers) == (422, "subscription-target")
    assert post(consumer.headers, webhook_url="ftp://x/y") == (422, "subscription-target")
    assert post(consumer.headers, nats_subject="a.*")[0] == 422
    assert post(consumer.headers, dataset="business", nats_subject="a.b") == (403, "no-grant")
    assert post(consumer.headers, purpose="statistics", nats_subject="a.b") == (
        403,
        "purpose-not-granted",
    )
    assert post(operator, nats_subject="a.b") == (403, "systems-only")
    missing = client.get("/api/v1/subscriptions/999", headers=consumer.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown-subscription"
