"""The clerk's round trip in a real headless Chromium: ingest a file with one bad row, open
the batch, download its rejected rows (XLSX), fix the cell in the workbook (openpyxl, as Excel
would save it), send it back and see it replayed; the batches list; a system's credentials
issued by its administrator; the development sign-in in one click. Screenshots at both sizes,
axe-core, no browser error. Runs once, on the SQLite run; skips as test_browser.py does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine

from lienthong.config import Environment, Settings
from lienthong.http.permissions import Role
from tests.console.people import session_cookie
from tests.console.test_browser import SHOTS, Walk, _missing
from tests.console.test_browser import browser as browser  # the shared Chromium fixture
from tests.console.test_rejected import BIRTH
from tests.console.test_upload import MAPPING, STEWARD, clerk_csv
from tests.ingest.factories import SYSTEM, register_system
from tests.signin.harness import Served, free_port, serve

pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


@pytest.fixture
def served(backend: str, settings: Settings, engine: Engine) -> Iterator[Served]:
    if backend != "sqlite":
        pytest.skip("the browser walk runs once, on the SQLite run")
    on = settings.model_copy(update={"environment": Environment.development, "dev_signin": True})
    with serve(on, engine, free_port()) as running:
        yield running


def _submit(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()
    page.wait_for_load_state("networkidle")


def test_the_clerk_fixes_rejected_rows_in_excel_and_replays(
    served: Served, browser: Any, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    register_system(engine, settings)
    sheet = tmp_path / "ho-tich.csv"
    sheet.write_bytes(clerk_csv())
    clerk = Walk(browser, served, "clerk", session_cookie(served.app, "clerk", STEWARD))
    page = clerk.open("/console/upload", "rt-upload-form")
    page.select_option("#standard", "citizen")
    page.select_option("#system", SYSTEM)
    page.fill("#mapping", MAPPING)
    page.set_input_files("#file", str(sheet))
    _submit(page, "Nạp dữ liệu")  # the batch's page, while its job runs or once it has ended
    page.wait_for_selector("#progress .status-completed", timeout=60_000)
    page.reload()  # its quarantine, as the clerk sees it on the page
    page.wait_for_load_state("networkidle")
    assert "Hoàn tất" in page.inner_text("#progress")
    clerk.check("batch-rejected")

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về các dòng bị từ chối").click()
    workbook = tmp_path / "tu-choi.xlsx"
    download.value.save_as(str(workbook))
    book = openpyxl.load_workbook(workbook)
    cell = book.active.cell(row=2, column=BIRTH + 1)  # type: ignore[union-attr]
    assert cell.value == "30/02/1990" and cell.comment is not None
    assert "Ngày sinh" in cell.comment.text
    cell.value = "28/02/1990"  # the clerk's fix, in the workbook
    book.save(workbook)

    page.set_input_files("#file", str(workbook))
    _submit(page, "Gửi lại và nạp lại")
    counts = page.inner_text("#replay-counts")
    assert "1 được nhận, 0 vẫn bị cách ly" in counts, page.inner_text("main")
    assert "Không còn dòng nào" in page.inner_text("main")
    clerk.check("batch-replayed")

    listed = clerk.open("/console/upload/batches", "batches")
    assert listed.locator("tbody tr").count() == 2  # the batch and its replay
    clerk.close()


def test_credentials_and_the_development_sign_in(
    served: Served, browser: Any, engine: Engine, settings: Settings
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    register_system(engine, settings)
    admin = Walk(
        browser,
        served,
        "admin",
        session_cookie(served.app, "admin", [(Role.organisation_admin, "H33.02")]),
    )
    page = admin.open("/console/registry/systems/H33.02/hoso/credentials", "credentials")
    _submit(page, "Cấp thông tin xác thực")
    assert page.inner_text("#secret").startswith("lts_")
    admin.check("credential-issued")
    admin.close()

    visitor = Walk(browser, served, "visitor", {})
    page = visitor.open("/console/welcome", "dev-signin")
    assert "Đăng nhập phát triển" in page.inner_text("body")
    _submit(page, "Nguyễn Văn Hành")
    assert page.url.endswith("/console/")
    assert "Đăng nhập phát triển" in page.inner_text("body")
    assert "platform-operator" in page.inner_text("main")
    visitor.check("dev-signed-in")
    visitor.close()
