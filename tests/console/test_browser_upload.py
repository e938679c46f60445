"""The upload page in a real headless Chromium: a data steward picks the standard and the
system, chooses a CSV with one bad row, checks it (the sheet row and the header shown, nothing
written), ingests it: the answer is the batch's page, its progress followed until the batch
has ended; then the batch's quarantine (screenshots at both sizes, axe-core, no browser
error). Runs once, on the SQLite run; skips as test_browser.py does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.console.people import session_cookie
from tests.console.test_browser import SHOTS, Walk, _missing
from tests.console.test_browser import browser as browser  # the shared Chromium fixture
from tests.console.test_upload import MAPPING, STEWARD, clerk_csv
from tests.ingest.factories import SYSTEM, register_system
from tests.signin.harness import Served, free_port, serve

pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def served(backend: str, settings: Settings, engine: Engine) -> Iterator[Served]:
    if backend != "sqlite":
        pytest.skip("the browser walk runs once, on the SQLite run")
    with serve(settings, engine, free_port()) as running:
        yield running


def test_a_steward_checks_and_ingests_a_file_in_the_browser(
    served: Served, browser: Any, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    register_system(engine, settings)
    sheet = tmp_path / "ho-tich.csv"
    sheet.write_bytes(clerk_csv())
    clerk = Walk(browser, served, "clerk", session_cookie(served.app, "clerk", STEWARD))
    page = clerk.open("/console/upload", "upload-form")
    page.select_option("#standard", "citizen")
    page.select_option("#system", SYSTEM)
    page.fill("#mapping", MAPPING)
    page.set_input_files("#file", str(sheet))
    with page.expect_navigation():
        page.get_by_role("button", name="Chỉ kiểm tra").click()
    page.wait_for_load_state("networkidle")
    assert "1 có lỗi" in page.inner_text("#check-counts"), page.inner_text("main")
    problem = page.locator("tbody tr").first
    assert problem.locator("td").nth(0).inner_text() == "3"
    assert problem.locator("td").nth(1).inner_text() == "Ngày sinh"
    clerk.check("upload-checked")

    page.set_input_files("#file", str(sheet))  # a browser keeps no file across pages
    with page.expect_navigation():
        page.get_by_role("button", name="Nạp dữ liệu").click()
    assert "/console/upload/batches/" in page.url  # the batch's page at once
    # htmx asks for the progress part until the batch has ended (a fresh page if it already had)
    page.wait_for_selector("#progress .status-completed", timeout=60_000)
    assert "1 dòng bị cách ly" in page.inner_text("#batch-counts"), page.inner_text("main")
    clerk.check("upload-ingested")
    page.reload()
    page.wait_for_load_state("networkidle")
    row = page.locator("tbody tr").first
    assert row.locator("td").nth(2).inner_text() == "30/02/1990"
    clerk.check("upload-quarantine")
    clerk.close()
