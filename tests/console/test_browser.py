"""The console in a real headless Chromium (Debian's ``chromium``, driven by Playwright): each
page walked as a platform operator, a leader and a citizen, screenshots at a laptop's and a
phone's size in build/screenshots/, axe-core's accessibility check on each page (no serious or
critical violation), and no Content-Security-Policy violation in the browser's console.

Runs once, on the SQLite run: the pages are the same on PostgreSQL, which the HTTP tests of
this folder cover. Skips, saying why, without Chromium, Playwright or the installed axe-core.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.console.navigation import SECTIONS
from lienthong.http.permissions import ROLE_PERMISSIONS, Role
from lienthong.registry.loader import PRE_2025
from lienthong.signin.views import SESSION_COOKIE
from tests.console.conftest import populate_province
from tests.console.people import CITIZEN_ID, LEADER, OPERATOR, session_cookie
from tests.signin.harness import Served, free_port, serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "build" / "screenshots"
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
BUDGET_SECONDS = 90

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the dev extra not installed
    sync_playwright = None  # type: ignore[assignment]


def _missing() -> str | None:
    if sync_playwright is None:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return "Chromium is not installed: apt-get install chromium (the CI installs it)"
    if not AXE.exists():
        return "axe-core is not installed: run `make axe-core` (npm ci)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def served(backend: str, settings: Settings, engine: Engine) -> Iterator[Served]:
    if backend != "sqlite":
        pytest.skip("the browser walk runs once, on the SQLite run")
    populate_province(engine, settings)
    with serve(settings, engine, free_port()) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    executable = str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium"))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


class Walk:
    """One person's browser: every page opened is checked and photographed at both sizes."""

    def __init__(self, browser: Browser, served: Served, who: str, cookie: dict[str, str]):
        self.url, self.who = served.url, who
        self.context = browser.new_context(locale="vi-VN")
        if cookie:
            self.context.add_cookies(
                [
                    {
                        "name": SESSION_COOKIE,
                        "value": cookie[SESSION_COOKIE],
                        "url": served.url.replace("http://", "https://") + "/",  # host-only, Secure
                        "secure": True,
                        "httpOnly": True,
                        "sameSite": "Lax",
                    }
                ]
            )
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def open(self, path: str, name: str, status: int = 200) -> Page:
        answer = self.page.goto(self.url + path, wait_until="load")
        assert answer is not None and answer.status == status, (path, answer and answer.status)
        if status != 200:  # the browser reports the page's own status; nothing else may fail
            own = f"the server responded with a status of {status}"
            self.problems = [p for p in self.problems if own not in p]
        self.page.wait_for_load_state("networkidle")
        self.check(name)
        return self.page

    def check(self, name: str) -> None:
        page = self.page
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(150)  # the charts redraw on resize
            page.screenshot(path=str(SHOTS / f"{self.who}-{name}-{size}.png"), full_page=True)
        page.set_viewport_size({"width": SIZES["desktop"][0], "height": SIZES["desktop"][1]})
        page.evaluate(AXE.read_text(encoding="utf-8"))
        found = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
        )
        serious = [v for v in found if v["impact"] in ("serious", "critical")]
        assert serious == [], (self.who, name, serious)
        assert self.problems == [], (self.who, name, self.problems)

    def close(self) -> None:
        self.context.close()


def test_the_console_walked_by_each_role(served: Served, browser: Browser) -> None:
    started = time.monotonic()
    SHOTS.mkdir(parents=True, exist_ok=True)
    app = served.app

    visitor = Walk(browser, served, "visitor", {})
    page = visitor.open("/", "welcome")
    assert page.url.startswith(f"{served.url}/console/welcome")
    assert page.locator("h1").inner_text() == "Cổng quản trị Liên thông"
    visitor.close()

    operator = Walk(browser, served, "operator", session_cookie(app, "op-b", OPERATOR))
    page = operator.open("/console/", "home")
    held = ROLE_PERMISSIONS[Role.platform_operator]
    assert page.locator("nav a").count() == len(
        [s for s in SECTIONS if s.permission is None or s.permission in held]
    )
    page = operator.open("/console/registry/units", "units")
    page.fill("#q", "hong ha")
    page.wait_for_url("**q=hong*")  # htmx swapped the results and kept the address
    assert page.locator("#results").get_by_text("Phường Hồng Hà").count() >= 1
    page = operator.open(f"/console/registry/units/00001?version={PRE_2025}", "unit")
    assert page.get_by_text("Phường Hồng Hà").count() >= 1
    page = operator.open("/console/registry/organisations", "organisations")
    assert page.locator("tbody tr").count() > 10
    page = operator.open("/console/registry/systems", "systems")
    assert page.get_by_text("Đã kết nối").count() > 0
    page.get_by_role("link", name="English").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Systems"
    operator.close()

    leader = Walk(browser, served, "leader", session_cookie(app, "leader-b", LEADER))
    page = leader.open("/console/overview", "overview")
    assert page.locator(".chart canvas").count() == 6  # ECharts drew every figure
    with page.expect_download() as download:
        page.locator('a[href="/console/overview/connected-by-level.csv"]').click()
    saved = download.value.path()
    assert saved is not None and "Tỉnh" in Path(saved).read_text(encoding="utf-8-sig")
    leader.close()

    citizen_cookie = session_cookie(
        app, "citizen-b", [(OPERATOR[0][0].__class__("citizen"), None)], personal_id=CITIZEN_ID
    )
    citizen = Walk(browser, served, "citizen", citizen_cookie)
    page = citizen.open("/console/overview", "refused", status=403)
    assert page.locator("h1").inner_text() == "Không có quyền truy cập"
    citizen.close()

    assert time.monotonic() - started < BUDGET_SECONDS
