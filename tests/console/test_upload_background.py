"""The console's ingest in the background, over real HTTP: the form answers 303 with the
batch's page while the job still runs; the page's progress part shows a bar (of the rows a
workbook holds; indeterminate for a CSV) and is polled until the batch ends, then shows the
result; a file found bad past its first chunk fails the batch with the reason; a stopping
server interrupts its jobs and the same file sent again resumes the batch; a batch left
running by a killed server is ended at the next start; every place taken is a 429 page."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.background import Background
from lienthong.ingest.claim import claim
from lienthong.ingest.job import claim_key
from lienthong.ingest.models import Batch
from lienthong.web.app import create_app
from tests.console.test_upload import HEADERS, MAPPING, STEWARD, _as, clerk_csv, ended
from tests.ingest.factories import CITIZEN_HEADER, SYSTEM, citizen_row, register_system


class Gated(Background):
    """The background ingests with a gate after each chunk: a job waits there, running,
    until the test opens it (or the server stops)."""

    def __init__(self, engine: Engine, settings: Settings, **limits: int) -> None:
        super().__init__(engine, settings, **limits)
        self.gate = threading.Event()

    def after_chunk(self, rows: int) -> None:
        while not self.gate.wait(0.01) and not self.stopping:
            pass
        super().after_chunk(rows)


@contextmanager
def served(engine: Engine, settings: Settings, **limits: int) -> Iterator[tuple[TestClient, Gated]]:
    app = create_app(settings, engine=engine)
    app.state.ingests = gated = Gated(engine, settings, **limits)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as web:
        yield web, gated


def clerk_xlsx() -> bytes:
    """The rows of :func:`clerk_csv` as a workbook: the sheet says how many rows it holds."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([HEADERS[f] for f in CITIZEN_HEADER])
    for row in (citizen_row(1), citizen_row(2, date_of_birth="30/02/1990"), citizen_row(3)):
        sheet.append([row[f] for f in CITIZEN_HEADER])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ingest(web: TestClient, csrf: str, name: str, body: bytes) -> Any:
    return web.post(
        "/console/upload",
        data={"csrf": csrf, "standard": "citizen", "system": SYSTEM, "mapping": MAPPING,
              "action": "ingest"},
        files={"file": (name, body, "application/octet-stream")},
    )  # fmt: skip


def _part_once(web: TestClient, page: str, shown: str) -> str:
    """The batch's progress part, asked for until it shows ``shown``."""
    deadline = time.monotonic() + 30
    while shown not in (part := web.get(f"{page}/progress").text):
        assert time.monotonic() < deadline, part
        time.sleep(0.05)
    return part


def _batch(engine: Engine, page: str) -> Batch:
    with transaction(engine) as session:
        found = session.get(Batch, page.rsplit("/", 1)[1])
        assert found is not None
        return found


def _ingest_audit(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        bodies = [
            json.loads(b)
            for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        ]
    return [e for e in bodies if e["action"] == "ingest.batch"]


def test_the_answer_comes_at_once_then_a_bar_then_the_result(
    engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    with served(engine, settings) as (web, gated):
        csrf = _as(web, "clerk", STEWARD)
        t = time.perf_counter()
        answer = _ingest(web, csrf, "ho-tich.xlsx", clerk_xlsx())
        took = time.perf_counter() - t
        assert answer.status_code == 303 and took < 10, (answer.status_code, took)
        page = answer.headers["location"]
        assert _batch(engine, page).status == "running"  # the job waits at the gate

        running = web.get(page)
        assert running.status_code == 200 and 'hx-trigger="every 2s"' in running.text
        assert '<noscript><meta http-equiv="refresh"' in running.text  # without JavaScript
        assert "Các dòng bị cách ly sẽ hiện ở đây khi lô đã nạp xong." in running.text
        part = _part_once(web, page, 'value="3"')  # its one chunk loaded, at the gate
        still = web.get(f"{page}/progress", headers={"HX-Request": "true"})
        assert "HX-Refresh" not in still.headers  # running: the part alone, polled again
        assert '<progress id="batch-bar" aria-label="Tiến độ nạp" max="3" value="3">' in part
        assert "Đã đọc 3 trên 3 dòng." in part and "Đang chạy" in part

        gated.gate.set()
        ended(web, answer)
        polled = web.get(f"{page}/progress", headers={"HX-Request": "true"})
        assert polled.headers.get("HX-Refresh") == "true"  # htmx loads the ended page whole
        final = web.get(f"{page}/progress").text
        assert "hx-trigger" not in final and "Hoàn tất" in final
        assert "3 dòng đã đọc, 2 dòng được nhận, 1 dòng bị cách ly" in final
        assert f'href="{page}/rejected.xlsx"' in final and "Xem các dòng bị cách ly" in final
        whole = web.get(page).text
        assert '<td class="code">30/02/1990</td>' in whole and "noscript" not in whole
        assert "Các dòng bị từ chối dưới dạng XLSX" not in whole  # one download link only
        assert not any(gated.folder.iterdir())  # the kept file went with its job

        gated.gate.clear()  # a CSV does not say how many rows it holds: indeterminate
        answer = _ingest(web, csrf, "ho-tich.csv", clerk_csv())
        part = web.get(f"{answer.headers['location']}/progress").text
        assert '<progress id="batch-bar" aria-label="Tiến độ nạp"></progress>' in part
        gated.gate.set()
        ended(web, answer)
    assert _ingest_audit(engine)[-1]["actor"]["kind"] == "person"


def test_a_file_found_bad_past_its_first_chunk_fails_the_batch(
    engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    rows = [",".join(citizen_row(n)[f] for f in CITIZEN_HEADER) for n in range(1, 150_001)]
    header = ",".join(HEADERS[f] for f in CITIZEN_HEADER)
    body = "\r\n".join([header, *rows]).encode() + b"\r\n\xff\xfe broken\r\n"
    assert len(body) > 12 << 20  # past the first chunk (two blocks), read by the request
    with served(engine, settings) as (web, gated):
        gated.gate.set()
        csrf = _as(web, "clerk", STEWARD)
        page = ended(web, _ingest(web, csrf, "ho-tich.csv", body), seconds=180)
        shown = web.get(page).text
    batch = _batch(engine, page)
    assert (batch.status, batch.error_code) == ("failed", "invalid-encoding")
    assert 0 < batch.rows_loaded < 150_000  # the whole chunks before it, kept for a resume
    assert "Thất bại" in shown and "Việc nạp thất bại" in shown
    assert "invalid-encoding" in shown and "UTF-8" in shown
    audited = _ingest_audit(engine)[-1]
    assert audited["outcome"] == "invalid-encoding" and audited["actor"]["kind"] == "person"


def test_a_stopping_server_interrupts_the_job_and_the_same_file_resumes_it(
    engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    workbook = clerk_xlsx()  # the same bytes sent twice
    with served(engine, settings) as (web, _gated):
        csrf = _as(web, "clerk", STEWARD)
        answer = _ingest(web, csrf, "ho-tich.xlsx", workbook)
        page = answer.headers["location"]
    batch = _batch(engine, page)  # the server stopped while the job waited
    assert (batch.status, batch.error_code) == ("failed", "ingest-interrupted")
    audited = _ingest_audit(engine)[-1]
    assert audited["outcome"] == "ingest-interrupted" and audited["actor"]["kind"] == "person"

    with served(engine, settings) as (web, gated):
        csrf = _as(web, "clerk", STEWARD)
        shown = web.get(page).text
        assert "Việc nạp đã dừng giữa chừng vì máy chủ dừng" in shown
        gated.gate.set()
        again = ended(web, _ingest(web, csrf, "ho-tich.xlsx", workbook))
    assert again == page  # the same batch, resumed
    assert _batch(engine, page).status == "completed"


def test_a_batch_a_killed_server_left_running_is_ended_at_the_next_start(
    engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    with served(engine, settings) as (web, gated):
        gated.gate.set()
        page = ended(web, _ingest(web, _as(web, "clerk", STEWARD), "a.csv", clerk_csv()))
    batch = _batch(engine, page)
    with transaction(engine) as session:
        session.get(Batch, batch.id).status = "running"  # type: ignore[union-attr]
    key = claim_key(batch.checksum, batch.standard, batch.standard_version, batch.source_system)
    with claim(engine, key), served(engine, settings):
        pass  # its run is alive (it holds the claim): left alone
    assert _batch(engine, page).status == "running"
    with served(engine, settings):
        pass
    ended_batch = _batch(engine, page)
    assert (ended_batch.status, ended_batch.error_code) == ("failed", "ingest-interrupted")
    audited = _ingest_audit(engine)[-1]
    assert audited["outcome"] == "ingest-interrupted" and audited["actor"]["kind"] == "operator"


def test_every_place_taken_is_a_429_page(engine: Engine, settings: Settings) -> None:
    register_system(engine, settings)
    with served(engine, settings, workers=1, waiting=0) as (web, gated):
        csrf = _as(web, "clerk", STEWARD)
        first = _ingest(web, csrf, "a.xlsx", clerk_xlsx())
        assert first.status_code == 303
        busy = _ingest(web, csrf, "b.csv", clerk_csv())
        assert busy.status_code == 429 and "rate-limited" in busy.text
        assert busy.headers["retry-after"] == "30"
        gated.gate.set()
        ended(web, first)
    with transaction(engine) as session:
        assert len(session.scalars(select(Batch)).all()) == 1
