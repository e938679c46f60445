"""The standards pages through the application: the published versions, and two versions of
citizen side by side with the breaking changes the standards domain finds highlighted."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.http.permissions import Role
from lienthong.standards import service
from tests.console.people import CITIZEN_ID, LEADER, OPERATOR, session_cookie

CITIZEN = [(Role.citizen, None)]
A_CITIZEN = {"personal_id": CITIZEN_ID}
REASON = "Nghị định 69/2024: phone is no longer collected"


def _signed(
    web: TestClient, subject: str, roles: list[tuple[Role, str | None]], **person: str
) -> None:
    web.cookies.update(session_cookie(web.app, subject, roles, **person))  # type: ignore[arg-type]


def citizen_v2(document: dict[str, Any] | None = None) -> dict[str, Any]:
    """citizen v2: ``phone`` removed, ``address_line`` now required, an optional integer
    ``household_id`` added, ``full_name`` allowed 250 characters."""
    document = copy.deepcopy(document or service.builtin_document("citizen"))
    document["version"] = 2
    fields = [f for f in document["fields"] if f["name"] != "phone"]
    for f in fields:
        if f["name"] == "address_line":
            f["constraints"] = {**f.get("constraints", {}), "required": True}
        if f["name"] == "full_name":
            f["constraints"] = {**f["constraints"], "maxLength": 250}
    fields.append({"name": "household_id", "type": "integer", "title": "Household"})
    document["fields"] = fields
    return document


def publish_citizen_v2(engine: Engine, settings: Settings, *, draft_v3: bool = False) -> None:
    """Publish v2 through the standards service (breaking, with a reason); a v3 draft too."""
    with transaction(engine) as session:
        service.create_standard(session=session, document=citizen_v2())
        service.publish(
            session=session,
            settings=settings,
            name="citizen",
            version=2,
            actor={"kind": "operator"},
            breaking=True,
            reason=REASON,
        )
        if draft_v3:
            service.create_standard(session=session, document=citizen_v2() | {"version": 3})


def test_anyone_signed_in_sees_the_published_versions(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    publish_citizen_v2(engine, settings, draft_v3=True)
    people = (("op-s", OPERATOR, {}), ("leader-s", LEADER, {}), ("cit-s", CITIZEN, A_CITIZEN))
    for subject, roles, person in people:
        web.cookies.clear()
        _signed(web, subject, roles, **person)
        page = web.get("/console/standards")
        assert page.status_code == 200, (subject, page.text)
        assert "<h1>Tiêu chuẩn dữ liệu</h1>" in page.text
        assert 'href="/console/standards/citizen?from=1&amp;to=2"' in page.text
        assert 'href="/console/standards/business"' in page.text
        assert "?from=2&amp;to=3" not in page.text  # the draft is not public


def test_signed_out_goes_to_sign_in(web: TestClient) -> None:
    page = web.get("/console/standards/citizen")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/welcome?next=/console/standards/citizen")


def test_two_versions_side_by_side_with_the_breaking_changes(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    publish_citizen_v2(engine, settings)
    _signed(web, "leader-c", LEADER)
    page = web.get("/console/standards/citizen?lang=en")  # defaults: v1 → v2
    assert page.status_code == 200, page.text
    html = page.text
    assert "Breaking changes: 2" in html
    rows = _rows(html)
    assert rows["phone"][0] == "removed is-breaking" and "removed-field" in rows["phone"][1]
    assert rows["address_line"][0] == "changed is-breaking"
    assert "new-required-field" in rows["address_line"][1]
    assert rows["household_id"][0] == "added"  # optional: added without breaking anything
    assert rows["full_name"][0] == "changed"  # a longer text breaks nobody
    assert '200</span> → <span class="code">250' in rows["full_name"][1]
    assert rows["personal_id"][0] == "same"
    assert "Họ và tên" in html  # the field's Vietnamese header
    assert REASON in html


def _rows(html: str) -> dict[str, tuple[str, str]]:
    """Field name → (the row's change classes, the row's HTML)."""
    found = {}
    for row in html.split('<tr class="change-')[1:]:
        name = row.split('<span class="code">', 1)[1].split("<", 1)[0]
        found[name] = (row.split('"', 1)[0], row.split("</tr>", 1)[0])
    return found


def test_the_page_is_in_vietnamese_with_the_registered_meanings(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    publish_citizen_v2(engine, settings)
    _signed(web, "op-vi", OPERATOR)
    html = web.get("/console/standards/citizen?from=1&to=2").text
    assert "một trường của phiên bản đang công bố bị bỏ" in html  # removed-field, from errors.toml
    assert "Thay đổi phá vỡ tương thích: 2" in html


def test_the_reverse_and_the_same_version(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    publish_citizen_v2(engine, settings)
    _signed(web, "op-r", OPERATOR)
    back = web.get("/console/standards/citizen?from=2&to=1&lang=en").text
    # From v2 back to v1: phone reappears (optional), household_id goes: that breaks.
    rows = _rows(back)
    assert rows["phone"][0] == "added" and rows["household_id"][0] == "removed is-breaking"
    assert "removed-field" in rows["household_id"][1]
    same = web.get("/console/standards/business?lang=en").text  # one version only
    assert "Only one version is compared" in same
    assert {kind for kind, _ in _rows(same).values()} == {"same"}


def test_unknown_standard_or_version_is_a_404_page(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    publish_citizen_v2(engine, settings, draft_v3=True)
    _signed(web, "leader-404", LEADER)
    for path in (
        "/console/standards/nope",
        "/console/standards/citizen?from=1&to=9",
        "/console/standards/citizen?from=3&to=2",  # a draft is not public
    ):
        page = web.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert "unknown-standard" in page.text
    bad = web.get("/console/standards/citizen?from=zero")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")


def test_a_new_primary_key_is_shown_as_breaking(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    document = service.builtin_document("business") | {"version": 2}
    document["primaryKey"] = [*document["primaryKey"], document["lienthong:areaField"]]
    with transaction(engine) as session:
        service.create_standard(session=session, document=document)
        service.publish(
            session=session,
            settings=settings,
            name="business",
            version=2,
            actor={"kind": "operator"},
            breaking=True,
            reason="one register per commune",
        )
    _signed(web, "op-key", OPERATOR)
    html = web.get("/console/standards/business?lang=en").text
    key = html.split("<h2>Primary key</h2>", 1)[1].split("</p>", 1)[0]
    assert "changed-key" in key and "the primary key is not the same fields" in key
    assert "Breaking changes: 1" in html
    assert {kind for kind, _ in _rows(html).values()} == {"same"}
