"""The console's alert pages over real HTTP through the ASGI app: the list and one alert with
its evidence for the analyst, acknowledge and resolve through the form (CSRF checked, a reason
required, each audited), the wrong transition shown on the page, and nothing for a leader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.http.permissions import Role
from lienthong.web.app import create_app
from tests.console.people import LEADER, session_cookie
from tests.soc.alerts.factories import alert, finding, store

ANALYST = [(Role.security_analyst, None)]


@pytest.fixture
def web(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def _as(web: TestClient, subject: str, roles: Any) -> None:
    web.cookies.clear()
    web.cookies.update(session_cookie(web.app, subject, roles))  # type: ignore[arg-type]


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _audited(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"] == action]


def test_the_analyst_sees_an_alert_and_its_evidence_and_acts_on_it(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    [one] = store(engine, settings, finding([21, 22], severity="critical"))
    store(engine, settings, finding([23], rule="anonymous-flood", group="source=*", severity="low"))
    _as(web, "analyst-1", ANALYST)
    home = web.get("/console/")
    assert 'href="/console/alerts"' in home.text and "Cảnh báo an ninh" in home.text
    listed = web.get("/console/alerts")
    assert listed.status_code == 200
    assert f'href="/console/alerts/{one}"' in listed.text and "Nghiêm trọng" in listed.text
    critical = web.get("/console/alerts", params={"severity": "critical"})
    assert (
        "Rule anonymous-flood" not in critical.text and "Rule credential-stuffing" in critical.text
    )
    page = web.get(f"/console/alerts/{one}")
    assert page.status_code == 200
    assert "#21" in page.text and "#22" in page.text
    assert 'href="/console/audit?since=2026-11-30&amp;until=2026-11-30"' in page.text
    token = _csrf(page.text)

    forged = web.post(f"/console/alerts/{one}/acknowledge", data={"reason": "x", "csrf": "0" * 64})
    assert forged.status_code == 403 and alert(engine, one)["status"] == "open"
    empty = web.post(f"/console/alerts/{one}/acknowledge", data={"reason": " ", "csrf": token})
    assert empty.status_code == 422 and "validation-failed" in empty.text
    done = web.post(
        f"/console/alerts/{one}/acknowledge", data={"reason": "đang gọi đơn vị", "csrf": token}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/console/alerts/{one}"
    again = web.post(f"/console/alerts/{one}/acknowledge", data={"reason": "x", "csrf": token})
    assert again.status_code == 409 and "alert-transition" in again.text
    resolved = web.post(f"/console/alerts/{one}/resolve", data={"reason": "đã chặn", "csrf": token})
    assert resolved.status_code == 303
    got = alert(engine, one)
    assert (got["status"], got["resolve_reason"]) == ("resolved", "đã chặn")
    assert got["acknowledged_by"].startswith("Nguyễn Thị analyst-1")
    assert [e["detail"]["alert"] for e in _audited(engine, "alert.acknowledge")] == [one]
    assert [e["detail"]["alert"] for e in _audited(engine, "alert.resolve")] == [one]
    after = web.get(f"/console/alerts/{one}")
    assert "Đã xử lý" in after.text and 'name="reason"' not in after.text
    assert web.get("/console/alerts/999999").status_code == 404


def test_a_leader_has_no_alert_pages(web: TestClient, engine: Engine, settings: Settings) -> None:
    [one] = store(engine, settings, finding([1]))
    _as(web, "leader-9", LEADER)
    assert 'href="/console/alerts"' not in web.get("/console/").text
    assert web.get("/console/alerts").status_code == 403
    page = web.get("/console/alerts")
    token = _csrf(page.text) if 'name="csrf"' in page.text else "0" * 64
    refused = web.post(f"/console/alerts/{one}/resolve", data={"reason": "x", "csrf": token})
    assert refused.status_code == 403
    assert alert(engine, one)["status"] == "open"
