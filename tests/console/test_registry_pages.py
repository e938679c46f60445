"""The registry pages: units in both code-list versions with their succession, organisations
and systems, narrowed to what each person's roles cover."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lienthong.http.permissions import Role
from lienthong.registry.loader import PRE_2025, V2025
from tests.console.people import OPERATOR, session_cookie

OPERATOR_TOKEN = {"Authorization": "Bearer test-operator-token-0123456789abcdef"}


def _register(web: TestClient) -> None:
    for code, name, sector in (
        ("H33.10", "Sở Y tế tỉnh Hưng Yên", "health"),
        ("H33.11", "Sở Giáo dục và Đào tạo tỉnh Hưng Yên", "education"),
    ):
        made = web.post(
            "/api/v1/organisations",
            json={
                "code": code,
                "name": name,
                "level": "province",
                "unit_code": "33",
                "sector": sector,
            },
            headers=OPERATOR_TOKEN,
        )
        assert made.status_code == 201, made.text
        system = web.post(
            f"/api/v1/organisations/{code}/systems",
            json={"code": f"his-{code[-2:]}", "name": f"Hệ thống {name}"},
            headers=OPERATOR_TOKEN,
        )
        assert system.status_code == 201, system.text


def test_units_in_both_versions_with_their_succession(web: TestClient) -> None:
    web.cookies.update(session_cookie(web.app, "operator-u", OPERATOR))  # type: ignore[arg-type]
    provinces = web.get("/console/registry/units")
    assert provinces.status_code == 200
    assert "Tỉnh Hưng Yên" in provinces.text and "Thành phố Hà Nội" in provinces.text
    older = web.get(f"/console/registry/units?version={PRE_2025}")
    assert older.text.count("<tr>") > 60  # 63 provinces before the 2025 merger, 34 after
    assert provinces.text.count("<tr>") < 40
    found = web.get("/console/registry/units?q=hong ha")
    assert "Phường Hồng Hà" in found.text
    merged = web.get(f"/console/registry/units/00097?version={V2025}")
    assert merged.status_code == 200
    assert "Được hình thành từ" in merged.text and "Phường Phúc Xá" in merged.text
    retired = web.get(f"/console/registry/units/00001?version={PRE_2025}")
    assert "Được tiếp nhận bởi" in retired.text and "Phường Hồng Hà" in retired.text
    assert "Không có trong phiên bản này" in retired.text  # 00001 is gone from the 2025 list


def test_organisations_and_systems_as_each_role_may_see_them(web: TestClient) -> None:
    _register(web)
    web.cookies.update(session_cookie(web.app, "operator-o", OPERATOR))  # type: ignore[arg-type]
    everyone = web.get("/console/registry/organisations")
    assert "H33.10" in everyone.text and "H33.11" in everyone.text
    only_communes = web.get("/console/registry/organisations?level=commune")
    assert "H33.10" not in only_communes.text
    systems = web.get("/console/registry/systems")
    assert "his-10" in systems.text and "his-11" in systems.text and "Đã đăng ký" in systems.text
    admin = session_cookie(web.app, "admin-o", [(Role.organisation_admin, "H33.10")])  # type: ignore[arg-type]
    web.cookies.update(admin)
    own = web.get("/console/registry/systems")
    assert "his-10" in own.text and "his-11" not in own.text
    orgs = web.get("/console/registry/organisations")
    assert "H33.10" in orgs.text and "H33.11" not in orgs.text


def test_a_forged_page_cursor_is_an_error_page(web: TestClient) -> None:
    web.cookies.update(session_cookie(web.app, "operator-c", OPERATOR))  # type: ignore[arg-type]
    forged = web.get("/console/registry/organisations?cursor=not-a-cursor")
    assert 400 <= forged.status_code < 500
    assert forged.headers["content-type"].startswith("text/html")
