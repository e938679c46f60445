"""The monitoring centre in the server process, end to end: an attack through HTTP becomes an
alert in the store (with its audit entries as evidence) and a signed webhook at the
monitoring centre's receiver, with nothing run by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.web.app import create_app
from tests.soc.alerts.receivers import webhook_receiver


def _until(check: Callable[[], Any], seconds: float = 90.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("not within the time allowed")


def test_credential_stuffing_becomes_an_alert_and_a_signed_webhook(
    settings: Settings, engine: Engine, operator: dict[str, str]
) -> None:
    watched = settings.model_copy(update={"soc_watch": True, "soc_interval_seconds": 0.2})
    with webhook_receiver() as (url, got), TestClient(create_app(watched, engine=engine)) as web:
        target = web.post(
            "/api/v1/soc/targets",
            json={"name": "siem", "kind": "webhook", "url": url, "min_severity": "high"},
            headers=operator,
        )
        assert target.status_code == 201, target.text
        got.secret = target.json()["secret"]
        for n in range(12):  # one address, many client ids refused
            form = {
                "grant_type": "client_credentials",
                "client_id": f"ltc_{n}",
                "client_secret": "x",
            }
            assert web.post("/oauth/token", data=form).status_code == 401

        def stuffing() -> list[dict[str, Any]]:
            items = web.get("/api/v1/soc/alerts", headers=operator).json()["items"]
            return [a for a in items if a["rule_id"] == "credential-stuffing"]

        [alert] = _until(stuffing)
        assert alert["severity"] == "high" and alert["status"] == "open"
        detail = web.get(f"/api/v1/soc/alerts/{alert['id']}", headers=operator).json()
        assert len(detail["evidence"]) >= 10  # the refused token requests that raised it
        _until(lambda: got.verified)
        assert got.refused == 0
        [message] = got.verified
        assert message["data"]["id"] == alert["id"]
