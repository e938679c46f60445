"""The console's pages through the application: who sees what, in which language, and that
no refusal or error is ever the API's JSON."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from lienthong.audit.models import AuditEntry
from lienthong.console.render import POLICY
from lienthong.http.permissions import Role
from tests.console.people import CITIZEN_ID, LEADER, OPERATOR, session_cookie


def _signed(web: TestClient, subject: str, roles: list[tuple[Role, str | None]], **kw: str) -> None:
    web.cookies.update(session_cookie(web.app, subject, roles, **kw))  # type: ignore[arg-type]


def test_root_leads_to_the_console_and_an_unsigned_visitor_to_its_sign_in_page(
    web: TestClient,
) -> None:
    root = web.get("/")
    assert root.status_code == 303 and root.headers["location"] == "/console/"
    home = web.get("/console/overview?lang=vi")
    assert home.status_code == 303
    assert home.headers["location"] == "/console/welcome?next=/console/overview%3Flang%3Dvi"
    page = web.get(home.headers["location"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in page.text and "Đăng nhập" in page.text
    assert page.headers["content-security-policy"] == POLICY
    assert "unsafe-inline" not in POLICY and "'unsafe-eval'" not in POLICY
    assert page.headers["x-frame-options"] == "DENY"


def test_english_on_request_then_kept_in_a_cookie(web: TestClient) -> None:
    first = web.get("/console/welcome?lang=en")
    assert '<html lang="en">' in first.text and "Sign in" in first.text
    assert "__Host-lienthong-lang=en" in first.headers["set-cookie"]
    assert "HttpOnly" in first.headers["set-cookie"] and "Secure" in first.headers["set-cookie"]
    again = web.get("/console/welcome")
    assert '<html lang="en">' in again.text
    assert '<html lang="vi">' in web.get("/console/welcome?lang=vi").text


def test_a_citizen_is_refused_the_overview_with_a_page_in_vietnamese(web: TestClient) -> None:
    _signed(web, "citizen-1", [(Role.citizen, None)], personal_id=CITIZEN_ID)
    refused = web.get("/console/overview")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "Không có quyền truy cập" in refused.text and "reports.read" in refused.text
    assert "Tổng quan" not in refused.text  # the navigation offers nothing the citizen may not open
    with web.app.state.sessions() as session:  # type: ignore[attr-defined]
        bodies = [
            json.loads(b) for b in session.scalars(select(AuditEntry.body).order_by(AuditEntry.seq))
        ]
    denied = [b for b in bodies if b["action"] == "permission.denied"]
    assert denied[-1]["route"] == "/console/overview"
    assert denied[-1]["actor"]["kind"] == "person"
    assert web.get("/console/registry/units").status_code == 403


def test_navigation_follows_the_roles(web: TestClient) -> None:
    _signed(web, "leader-1", LEADER)
    home = web.get("/console/")
    assert home.status_code == 200
    assert 'href="/console/overview"' in home.text
    assert 'href="/console/registry/units"' in home.text  # a leader reads the registry
    _signed(web, "nobody-1", [])
    bare = web.get("/console/")
    assert bare.status_code == 200 and 'href="/console/overview"' not in bare.text
    assert web.get("/console/overview").status_code == 403


def test_an_unknown_page_is_a_page_not_json(web: TestClient) -> None:
    missing = web.get("/console/no/such/page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Không tìm thấy" in missing.text
    _signed(web, "operator-1", OPERATOR)
    unit = web.get("/console/registry/units/99999")
    assert unit.status_code == 404 and "<h1>" in unit.text
    too_long = web.get("/console/registry/units", params={"q": "x" * 500})
    assert too_long.status_code == 422 and too_long.headers["content-type"].startswith("text/html")
    assert "validation-failed" in too_long.text


def test_sign_out_needs_the_form_token_and_ends_the_session(web: TestClient) -> None:
    _signed(web, "leader-2", LEADER)
    page = web.get("/console/")
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert len(token) == 64
    without = web.post("/console/logout", data={})
    assert without.status_code == 403 and "Biểu mẫu bị từ chối" in without.text
    wrong = web.post("/console/logout", data={"csrf": "0" * 64})
    assert wrong.status_code == 403
    elsewhere = web.post(
        "/console/logout", data={"csrf": token}, headers={"origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    assert web.get("/console/").status_code == 200  # still signed in after the refusals
    out = web.post("/console/logout", data={"csrf": token})
    assert out.status_code == 303 and out.headers["location"] == "/console/welcome"
    assert web.get("/console/").status_code == 303  # the session is over


def test_static_files_are_the_vendored_ones_with_their_licences(web: TestClient) -> None:
    for name in ("htmx.min.js", "echarts.min.js", "htmx.LICENSE", "echarts.LICENSE"):
        answer = web.get(f"/console/static/vendor/{name}")
        assert answer.status_code == 200 and len(answer.content) > 100
        assert answer.headers["cache-control"] == "public, max-age=86400"
    assert web.get("/console/static/console.css").status_code == 200
    plain = web.get("/console/static/vendor/echarts.min.js", headers={"accept-encoding": "br"})
    packed = web.get("/console/static/vendor/echarts.min.js", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["content-type"].startswith("text/javascript")
    assert packed.content == plain.content  # the client undid the compression
    assert int(packed.headers["content-length"]) < len(plain.content) // 2
