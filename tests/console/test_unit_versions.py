"""The code-list versions' names in the page's language: the built-in versions' names are in
the Vietnamese catalogue, and the units pages show them in Vietnamese (English on request)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lienthong.console.i18n import language
from lienthong.registry.loader import BUILTIN_VERSIONS, V2025
from tests.console.people import OPERATOR, session_cookie


def test_every_builtin_version_name_has_a_vietnamese_name() -> None:
    vi = language("vi")
    for spec in BUILTIN_VERSIONS:
        named = vi.gettext(spec.name)
        assert named != spec.name and "Danh mục" in named, spec.name


def test_the_units_pages_name_the_versions_in_the_pages_language(web: TestClient) -> None:
    web.cookies.update(session_cookie(web.app, "operator-v", OPERATOR))  # type: ignore[arg-type]
    vi = web.get("/console/registry/units")
    assert "Danh mục hai cấp (Quyết định 19/2025/QĐ-TTg)" in vi.text
    assert "Danh mục ba cấp" in vi.text and "Two-tier list" not in vi.text
    unit = web.get(f"/console/registry/units/00097?version={V2025}")
    assert "Danh mục ba cấp" in unit.text and "Three-tier" not in unit.text
    en = web.get("/console/registry/units?lang=en")
    assert (
        "Two-tier list (Decision 19/2025/QĐ-TTg)" in en.text and "Danh mục hai cấp" not in en.text
    )
