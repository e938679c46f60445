"""The grant pages over real HTTP: a data steward's inbox (approve, reject with a reason, four
eyes, self-approval refused), the consumer's requests, the operator's suspend and revoke, and
the CSRF check on every decision; each decision audited as the API's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.exchange import grants
from lienthong.http.permissions import Role
from tests.console.people import OPERATOR, session_cookie
from tests.exchange.factories import get_token, issue_credential, make_consumer, request_grant
from tests.paging import a_page
from tests.people.factories import make_person, pat, set_owner
from tests.registry.factories import make_org, make_system

OPERATOR_TOKEN = {"Authorization": "Bearer test-operator-token-0123456789abcdef"}
STEWARD = [(Role.data_steward, "H33.01")]
CONSUMER_ADMIN = [(Role.organisation_admin, "H33.02")]


def _as(web: TestClient, subject: str, roles: Any) -> None:
    web.cookies.clear()
    web.cookies.update(session_cookie(web.app, subject, roles))  # type: ignore[arg-type]


def _csrf(web: TestClient) -> str:
    page = web.get("/console/grants/inbox")
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _status(web: TestClient, grant: dict[str, Any]) -> str:
    found = web.get(f"/api/v1/grants/{grant['id']}", headers=OPERATOR_TOKEN)
    return str(found.json()["status"])


def _audited(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [e for (b,) in rows if (e := json.loads(b))["action"] == action]


@pytest.fixture
def sensitive(web: TestClient) -> dict[str, Any]:
    """H33.02's portal asks for citizens' personal IDs (sensitive: four eyes); H33.01 owns
    them."""
    make_org(web, OPERATOR_TOKEN, "H33.01")
    set_owner(web, OPERATOR_TOKEN, "citizen", "H33.01")
    return request_grant(web, get_token(web, make_consumer(web, OPERATOR_TOKEN)))


def test_a_steward_approves_with_four_eyes_and_the_consumer_sees_it(
    web: TestClient, sensitive: dict[str, Any], engine: Engine
) -> None:
    _as(web, "steward-a", STEWARD)
    home = web.get("/console/")
    assert "Hộp duyệt quyền khai thác" in home.text
    inbox = web.get("/console/grants/inbox")
    assert inbox.status_code == 200
    assert "H33.02" in inbox.text and "portal" in inbox.text and "citizen" in inbox.text
    assert "personal_id <strong>(nhạy cảm)</strong>" in inbox.text
    assert "full_name <strong>" not in inbox.text  # only the sensitive field is marked
    assert "0 trên 2" in inbox.text and "nguyên tắc bốn mắt" in inbox.text
    assert f'action="/console/grants/{sensitive["id"]}/approve"' in inbox.text
    path = f"/console/grants/{sensitive['id']}/approve"
    first = web.post(path, data={"csrf": _csrf(web)})
    assert first.status_code == 303 and first.headers["location"] == "/console/grants/inbox"
    after = web.get("/console/grants/inbox")
    assert "1 trên 2" in after.text and "Nguyễn Thị steward-a" in after.text
    assert _status(web, sensitive) == "requested"
    again = web.post(path, data={"csrf": _csrf(web)})
    assert again.status_code == 409 and "already-approved" in again.text
    assert "nguyên tắc bốn mắt cần một người quản lý dữ liệu khác" in again.text
    _as(web, "steward-b", STEWARD)
    second = web.post(path, data={"csrf": _csrf(web)})
    assert second.status_code == 303 and _status(web, sensitive) == "approved"
    approvals = _audited(engine, "grant.approval") + _audited(engine, "grant.approve")
    assert [e["actor"]["name"] for e in approvals] == [
        "Nguyễn Thị steward-a",
        "Nguyễn Thị steward-b",
    ]
    assert all(e["actor"]["via"] == "session" for e in approvals)
    _as(web, "admin-consumer", CONSUMER_ADMIN)
    mine = web.get("/console/grants/requests")
    assert mine.status_code == 200 and "Đã phê duyệt" in mine.text
    assert "Người quyết định" in mine.text and "Nguyễn Thị steward-b" in mine.text


def test_a_rejection_needs_a_reason_which_the_consumer_reads(
    web: TestClient, sensitive: dict[str, Any], engine: Engine
) -> None:
    _as(web, "steward-r", STEWARD)
    path = f"/console/grants/{sensitive['id']}/reject"
    bare = web.post(path, data={"csrf": _csrf(web), "reason": "  "})
    assert bare.status_code == 422 and "validation-failed" in bare.text
    assert _status(web, sensitive) == "requested"
    done = web.post(path, data={"csrf": _csrf(web), "reason": "Mục đích chưa rõ"})
    assert done.status_code == 303 and _status(web, sensitive) == "rejected"
    assert [e["actor"]["kind"] for e in _audited(engine, "grant.reject")] == ["person"]
    _as(web, "admin-consumer-r", CONSUMER_ADMIN)
    mine = web.get("/console/grants/requests?lang=en")
    assert "Rejected" in mine.text and "Mục đích chưa rõ" in mine.text
    assert "Nguyễn Thị steward-r" in mine.text


def test_a_decision_without_the_form_token_is_refused(
    web: TestClient, sensitive: dict[str, Any]
) -> None:
    _as(web, "steward-c", STEWARD)
    path = f"/console/grants/{sensitive['id']}/approve"
    missing = web.post(path, data={})
    assert missing.status_code == 403 and missing.headers["content-type"].startswith("text/html")
    forged = web.post(path, data={"csrf": "0" * 64})
    assert forged.status_code == 403
    elsewhere = web.post(
        path, data={"csrf": _csrf(web)}, headers={"origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    blind = web.post(
        path, data={"csrf": _csrf(web)}, headers={"origin": "null", "sec-fetch-site": "cross-site"}
    )
    assert blind.status_code == 403
    assert _status(web, sensitive) == "requested"
    assert "0 trên 2" in web.get("/console/grants/inbox").text
    # A browser's own form under ``Referrer-Policy: no-referrer``: Origin null, same-origin.
    own = web.post(
        path, data={"csrf": _csrf(web)}, headers={"origin": "null", "sec-fetch-site": "same-origin"}
    )
    assert own.status_code == 303 and "1 trên 2" in web.get("/console/grants/inbox").text


def test_the_requester_cannot_approve_its_own_request(web: TestClient) -> None:
    """An administrator who is also a steward of H33.01 asks for H33.01's own system."""
    make_org(web, OPERATOR_TOKEN, "H33.01")
    make_system(web, OPERATOR_TOKEN, "H33.01", "his")
    set_owner(web, OPERATOR_TOKEN, "citizen", "H33.01", four_eyes=False)
    roles = [(Role.organisation_admin, "H33.01"), (Role.data_steward, "H33.01")]
    _as(web, "both-hats", roles)
    own = pat(web, make_person(web, "both-hats", roles))
    grant = request_grant(
        web, own, consumer_organisation="H33.01", consumer_system="his", fields=["full_name"]
    )
    refused = web.post(f"/console/grants/{grant['id']}/approve", data={"csrf": _csrf(web)})
    assert refused.status_code == 403
    assert "Quyết định chưa được ghi nhận." in refused.text
    assert "bên yêu cầu không được tự xét duyệt yêu cầu của mình" in refused.text
    assert "self-approval" in refused.text
    assert _status(web, grant) == "requested"


def test_the_operator_suspends_and_revokes_but_never_decides(
    web: TestClient, sensitive: dict[str, Any], engine: Engine
) -> None:
    _as(web, "operator-g", OPERATOR)
    inbox = web.get("/console/grants/inbox")
    assert inbox.status_code == 200 and "portal" in inbox.text
    assert "/approve" not in inbox.text and "/reject" not in inbox.text  # no grants.decide
    refused = web.post(f"/console/grants/{sensitive['id']}/approve", data={"csrf": _csrf(web)})
    assert refused.status_code == 403 and "grants.decide" in refused.text
    for n in (1, 2):
        _as(web, f"steward-o{n}", STEWARD)
        web.post(f"/console/grants/{sensitive['id']}/approve", data={"csrf": _csrf(web)})
    assert _status(web, sensitive) == "approved"
    _as(web, "operator-g", OPERATOR)
    inbox = web.get("/console/grants/inbox")
    assert f'action="/console/grants/{sensitive["id"]}/suspend"' in inbox.text
    path = f"/console/grants/{sensitive['id']}"
    unreasoned = web.post(f"{path}/suspend", data={"csrf": _csrf(web)})
    assert unreasoned.status_code == 422 and _status(web, sensitive) == "approved"
    held = web.post(f"{path}/suspend", data={"csrf": _csrf(web), "reason": "Rà soát"})
    assert held.status_code == 303 and _status(web, sensitive) == "suspended"
    assert "Rà soát" in web.get("/console/grants/inbox").text
    web.post(f"{path}/resume", data={"csrf": _csrf(web)})
    assert _status(web, sensitive) == "approved"
    web.post(f"{path}/revoke", data={"csrf": _csrf(web), "reason": "Hết nhu cầu"})
    assert _status(web, sensitive) == "revoked"
    actions = ("grant.suspend", "grant.resume", "grant.revoke")
    assert all(_audited(engine, a)[0]["actor"]["kind"] == "person" for a in actions)
    unknown = web.post(f"{path}/forget", data={"csrf": _csrf(web)})
    assert unknown.status_code == 422


def test_each_organisation_sees_its_own_side(web: TestClient, sensitive: dict[str, Any]) -> None:
    make_consumer(web, OPERATOR_TOKEN, "H33.05", "tax")
    _as(web, "admin-other", [(Role.organisation_admin, "H33.05")])
    home = web.get("/console/")
    assert "Yêu cầu khai thác dữ liệu" in home.text
    assert "Hộp duyệt quyền khai thác" not in home.text
    assert "portal" not in web.get("/console/grants/requests").text
    assert "portal" not in web.get("/console/grants/inbox").text
    decided = web.post(f"/console/grants/{sensitive['id']}/approve", data={"csrf": _csrf(web)})
    assert decided.status_code == 403
    _as(web, "admin-consumer-s", CONSUMER_ADMIN)
    assert "portal" in web.get("/console/grants/requests").text
    assert "portal" not in web.get("/console/grants/inbox").text  # H33.02 owns nothing
    _as(web, "leader-g", [(Role.leader, None)])
    assert web.get("/console/grants/requests").status_code == 403


def test_the_inbox_pages_newest_first(web: TestClient, sensitive: dict[str, Any]) -> None:
    """Three requests, a page of one at a time: newest first across the cursors, and the
    consumer's side the same grants (the owner's side of another organisation none)."""
    token = get_token(web, issue_credential(web, OPERATOR_TOKEN, "H33.02", "portal"))
    later = [request_grant(web, token, fields=["full_name"])["id"] for _ in range(2)]
    expected = [*reversed(later), sensitive["id"]]
    app: Any = web.app
    for side, organisations in (("owner", {"H33.01"}), ("consumer", {"H33.02"})):
        seen, cursor = [], None
        while True:
            with app.state.sessions() as session:
                rows, cursor = grants.list_grants(
                    session=session,
                    organisations=frozenset(organisations),
                    side=side,
                    newest_first=True,
                    page=a_page(limit=1, cursor=cursor),
                )
            seen += [g.id for g in rows]
            if cursor is None:
                break
        assert seen == expected, side
    with app.state.sessions() as session:
        none, _ = grants.list_grants(
            session=session, organisations=frozenset({"H33.02"}), side="owner", page=a_page()
        )
    assert none == []
