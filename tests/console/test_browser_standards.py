"""The standards pages in a real headless Chromium: a leader opens the list, then citizen's
two versions side by side, and changes the compared versions with the page's own form. Each
page photographed at both sizes and checked by axe-core, as the console's own walk does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.console.people import LEADER, session_cookie
from tests.console.test_browser import BUDGET_SECONDS, SHOTS, Walk, _missing
from tests.console.test_browser import browser as browser  # the fixture, shared
from tests.console.test_standards import publish_citizen_v2
from tests.signin.harness import Served, free_port, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def served(backend: str, settings: Settings, engine: Engine) -> Iterator[Served]:
    if backend != "sqlite":
        pytest.skip("the browser walk runs once, on the SQLite run")
    publish_citizen_v2(engine, settings)
    with serve(settings, engine, free_port()) as running:
        yield running


def test_a_leader_compares_two_versions_in_the_browser(served: Served, browser: Browser) -> None:
    started = time.monotonic()
    SHOTS.mkdir(parents=True, exist_ok=True)
    leader = Walk(browser, served, "leader", session_cookie(served.app, "leader-bs", LEADER))
    page = leader.open("/console/standards", "standards")
    assert page.locator("h1").inner_text() == "Tiêu chuẩn dữ liệu"
    page.locator('a[href="/console/standards/citizen?from=1&to=2"]').click()
    page.wait_for_load_state("load")
    leader.check("standards-compare")
    assert page.locator("tr.is-breaking").count() == 2
    assert "phone" in page.locator("tr.change-removed").inner_text()
    assert "Thay đổi phá vỡ tương thích: 2" in page.locator("p.problem").inner_text()
    # The same version on both sides, chosen with the form.
    page.select_option("#from", "2")
    page.get_by_role("button", name="So sánh").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/console/standards/citizen?from=2&to=2")
    assert page.locator("tr.is-breaking").count() == 0
    leader.check("standards-same")
    leader.open("/console/standards/nope", "standards-unknown", status=404)
    leader.close()
    assert time.monotonic() - started < BUDGET_SECONDS
