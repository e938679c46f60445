"""The linkage review pages in a real headless Chromium: an operator opens the queue, a pair,
accepts it and lands on the next pair; an auditor sees the pair without the buttons. Each page
photographed at both sizes and checked by axe-core, as the console's own browser walk does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.linkage.models import Review
from tests.console.people import OPERATOR, session_cookie
from tests.console.test_browser import BUDGET_SECONDS, SHOTS, Walk, _missing
from tests.console.test_browser import browser as browser  # the fixture, shared
from tests.console.test_review import AUDITOR, link_namesakes
from tests.signin.harness import Served, free_port, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def served(backend: str, settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[Served]:
    if backend != "sqlite":
        pytest.skip("the browser walk runs once, on the SQLite run")
    link_namesakes(engine, settings, tmp_path)
    with serve(settings, engine, free_port()) as running:
        yield running


def _status(engine: Engine, review_id: int) -> str:
    with transaction(engine) as session:
        return str(session.scalar(select(Review.status).where(Review.id == review_id)))


def test_an_operator_decides_a_pair_in_the_browser(
    served: Served, browser: Browser, engine: Engine
) -> None:
    started = time.monotonic()
    SHOTS.mkdir(parents=True, exist_ok=True)
    app = served.app

    operator = Walk(browser, served, "operator", session_cookie(app, "op-rb", OPERATOR))
    page = operator.open("/console/linkage/reviews", "reviews")
    assert page.locator("h1").inner_text() == "Xem xét liên kết"
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    first_link = rows.first.locator("a")
    first_id = int((first_link.get_attribute("href") or "").rsplit("/", 1)[1])
    first_link.click()
    page.wait_for_load_state("load")
    operator.check("review")
    assert page.get_by_text("Họ: trùng sau khi bỏ dấu").count() == 1
    with page.expect_response(lambda r: r.url.endswith("/accept")) as posted:
        page.get_by_role("button", name="Chấp nhận: cùng một đối tượng").click()
    page.wait_for_load_state("load")
    assert posted.value.status == 303, (posted.value.status, page.locator("h1").inner_text())
    assert f"/reviews/{first_id}?" not in page.url, page.locator("h1").inner_text()
    operator.check("review-next")
    assert (
        page.get_by_role("status")
        .inner_text()
        .startswith(f"Đã ghi nhận quyết định về cặp {first_id}")
    )
    assert _status(engine, first_id) == "accepted"
    operator.close()

    auditor = Walk(browser, served, "auditor", session_cookie(app, "auditor-rb", AUDITOR))
    page = auditor.open(f"/console/linkage/reviews/{first_id}", "review")
    assert page.get_by_role("button", name="Chấp nhận: cùng một đối tượng").count() == 0
    auditor.close()

    assert time.monotonic() - started < BUDGET_SECONDS
