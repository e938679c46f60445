"""The grant pages in a real headless Chromium: a data steward approves a request from the
inbox (screenshots at both sizes, axe-core, no browser error), and the consumer's
administrator reads the decision on its requests. Runs once, on the SQLite run; skips as
test_browser.py does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.http.permissions import Role
from tests.console.people import session_cookie
from tests.console.test_browser import SHOTS, Walk, _missing
from tests.console.test_browser import browser as browser  # the shared Chromium fixture
from tests.exchange.factories import get_token, make_consumer, request_grant
from tests.people.factories import set_owner
from tests.registry.factories import make_org
from tests.signin.harness import Served, free_port, serve

OPERATOR_TOKEN = {"Authorization": "Bearer test-operator-token-0123456789abcdef"}

pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def served(backend: str, settings: Settings, engine: Engine) -> Iterator[Served]:
    if backend != "sqlite":
        pytest.skip("the browser walk runs once, on the SQLite run")
    with serve(settings, engine, free_port()) as running:
        yield running


def test_a_steward_approves_a_request_in_the_browser(served: Served, browser: Any) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with httpx.Client(base_url=served.url, timeout=30) as api:
        make_org(api, OPERATOR_TOKEN, "H33.01")  # type: ignore[arg-type]
        set_owner(api, OPERATOR_TOKEN, "citizen", "H33.01")  # type: ignore[arg-type]
        token = get_token(api, make_consumer(api, OPERATOR_TOKEN))  # type: ignore[arg-type]
        plain = request_grant(api, token, fields=["full_name", "sex"])  # type: ignore[arg-type]
        request_grant(api, token)  # type: ignore[arg-type]  # personal IDs: four eyes
    app = served.app

    steward = Walk(
        browser,
        served,
        "steward",
        session_cookie(app, "steward-b", [(Role.data_steward, "H33.01")]),
    )
    page = steward.open("/console/grants/inbox", "grants-inbox")
    assert page.locator("article.grant").count() == 2
    assert page.locator("li.sensitive").count() == 1  # personal_id, on the newest request
    card = page.locator(f"article[aria-labelledby='grant-{plain['id']}']")
    with page.expect_navigation():
        card.get_by_role("button", name="Phê duyệt").click()
    assert page.url.endswith("/console/grants/inbox"), (page.url, page.inner_text("main"))
    page.wait_for_load_state("networkidle")
    assert card.locator(".status-approved").inner_text() == "Đã phê duyệt"
    assert card.get_by_role("button", name="Tạm dừng").count() == 1  # the steward may suspend
    steward.check("grants-approved")
    steward.close()

    consumer = Walk(
        browser,
        served,
        "consumer",
        session_cookie(app, "admin-b", [(Role.organisation_admin, "H33.02")]),
    )
    page = consumer.open("/console/grants/requests", "grants-requests")
    assert page.get_by_text("Đã phê duyệt").count() == 1
    assert page.get_by_text("Nguyễn Thị steward-b").count() >= 1
    consumer.close()
