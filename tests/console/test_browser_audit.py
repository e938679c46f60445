"""The audit pages in a real headless Chromium, with the walk of test_browser.py: an auditor
searches the log, downloads the export and opens a subject report; a citizen sees who read
their records and is refused the log. Screenshots in build/screenshots/, axe-core on each."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lienthong.http.permissions import Role
from tests.console.people import CITIZEN_ID, session_cookie
from tests.console.test_audit import _reads
from tests.console.test_browser import (  # noqa: F401  (fixtures)
    BUDGET_SECONDS,
    SHOTS,
    Walk,
    browser,
    pytestmark,
    served,
)
from tests.signin.harness import Served

if TYPE_CHECKING:  # Playwright may be missing: the walk then skips
    from playwright.sync_api import Browser


class _App:
    """What ``_reads`` reads of a test client: its application."""

    def __init__(self, running: Served) -> None:
        self.app = running.app


def test_the_audit_pages_walked_by_an_auditor_and_a_citizen(
    served: Served,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    started = time.monotonic()
    SHOTS.mkdir(parents=True, exist_ok=True)
    app = served.app
    _reads(_App(served))  # type: ignore[arg-type]

    auditor = Walk(browser, served, "auditor", session_cookie(app, "aud-b", [(Role.auditor, None)]))
    page = auditor.open("/console/audit", "audit")
    assert page.locator("h1").inner_text() == "Nhật ký kiểm toán"
    assert "được ký bằng khóa kiểm toán" in page.locator("#chain-state").inner_text()
    page.fill("#system", "H33.SYT/his")
    page.fill("#purpose", "treatment")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_url("**system=H33.SYT*purpose=treatment*")  # a shareable address
    assert page.locator("tbody tr").count() == 2
    auditor.check("audit-filtered")
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Xuất các mục này cho kiểm toán viên bên ngoài (JSON lines)"
        ).click()
    saved = download.value.path()
    assert saved is not None
    lines = [json.loads(x) for x in Path(saved).read_text(encoding="utf-8").splitlines()]
    assert {e["purpose"] for e in lines} == {"treatment"} and len(lines) == 2
    page = auditor.open(f"/console/audit/subjects?personal_id={CITIZEN_ID}", "audit-subject")
    assert page.locator("tbody tr").count() == 2
    auditor.close()

    citizen_cookie = session_cookie(
        app, "citizen-audit-b", [(Role.citizen, None)], personal_id=CITIZEN_ID
    )
    citizen = Walk(browser, served, "citizen", citizen_cookie)
    page = citizen.open("/console/", "home-citizen")
    page.get_by_role("link", name="Ai đã xem dữ liệu của tôi").first.click()
    page.wait_for_load_state("load")
    citizen.check("my-reads")
    assert page.locator("ol.reads li").count() == 2
    assert page.get_by_text("bs-01").count() == 1 and page.get_by_text("bs-02").count() == 0
    page = citizen.open("/console/audit", "audit-refused", status=403)
    assert page.locator("h1").inner_text() == "Không có quyền truy cập"
    citizen.close()

    assert time.monotonic() - started < BUDGET_SECONDS
