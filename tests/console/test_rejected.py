"""The clerk's round trip over real HTTP: a batch's rejected rows downloaded as XLSX (read
with openpyxl and, independently, with calamine and the workbook's own XML: the clerk's
headers, the values as sent, a Vietnamese comment on the bad cell), fixed in the workbook,
sent back and replayed; a value fixed in place; a workbook that is not the batch's refused
whole; the API's ``rejected.xlsx`` scoped as the quarantine; the batches list and progress."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import Engine, select, text

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.http.permissions import Role
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.rejected import ID_HEADER, ROW_HEADER
from tests.console.test_upload import HEADERS, STEWARD, _as, _send, ended
from tests.ingest.factories import CITIZEN_HEADER, register_system
from tests.people.factories import person_headers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CLERK_HEADERS = [HEADERS[f] for f in CITIZEN_HEADER]
BIRTH = 2 + CITIZEN_HEADER.index("date_of_birth")  # its column (0-based) in the workbook


def _ingested(web: TestClient, engine: Engine, settings: Settings) -> tuple[str, str]:
    register_system(engine, settings)
    csrf = _as(web, "clerk", STEWARD)
    ended(web, _send(web, csrf, "ingest"))
    with transaction(engine) as session:
        return session.scalars(select(Batch.id)).one(), csrf


def _xml_comments(body: bytes) -> dict[str, str]:
    """Cell → comment text, read from the workbook's XML (no spreadsheet library)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/comments")]
        assert names, archive.namelist()
        root = ElementTree.fromstring(archive.read(names[0]))  # noqa: S314 - our own file
    return {
        c.attrib["ref"]: "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
        for c in root.iter(f"{MAIN}comment")
    }


def _audited(engine: Engine, action: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        bodies = [json.loads(b) for (b,) in conn.execute(text("SELECT body FROM audit_entries"))]
    return [b for b in bodies if b["action"] == action]


def test_the_rejected_rows_round_trip_through_excel(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    batch_id, csrf = _ingested(web, engine, settings)
    page = web.get(f"/console/upload/batches/{batch_id}")
    assert f'href="/console/upload/batches/{batch_id}/rejected.xlsx"' in page.text
    got = web.get(f"/console/upload/batches/{batch_id}/rejected.xlsx")
    assert got.status_code == 200 and got.headers["content-type"] == XLSX

    sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == [ID_HEADER, ROW_HEADER, *CLERK_HEADERS]  # the clerk's own headers
    assert len(rows) == 2 and rows[1][1] == 3 and rows[1][BIRTH] == "30/02/1990"
    bad = sheet.cell(row=2, column=BIRTH + 1)
    assert bad.comment is not None
    assert 'Dòng 3, cột "Ngày sinh"' in bad.comment.text and "invalid-date" in bad.comment.text
    assert sheet.cell(row=2, column=BIRTH).comment is None  # only the bad cell
    assert sheet.cell(row=2, column=3).number_format == "@"  # a personal ID keeps its zeros

    # Read again without openpyxl: calamine for the values, the XML for the comments.
    independent = CalamineWorkbook.from_filelike(io.BytesIO(got.content))
    values = independent.get_sheet_by_index(0).to_python()
    assert [str(v) for v in values[0]] == [ID_HEADER, ROW_HEADER, *CLERK_HEADERS]
    assert values[1][BIRTH] == "30/02/1990" and str(values[1][2]).startswith("0")
    cell = f"{chr(ord('A') + BIRTH)}2"
    comments = _xml_comments(got.content)
    assert set(comments) == {cell} and "Ngày sinh" in comments[cell]
    assert _audited(engine, "ingest.rejected-export")[-1]["actor"]["kind"] == "person"

    # The clerk fixes the date in Excel and sends the workbook back.
    sheet.cell(row=2, column=BIRTH + 1).value = "28/02/1990"
    fixed = io.BytesIO()
    sheet.parent.save(fixed)
    back = web.post(
        f"/console/upload/batches/{batch_id}/rejected",
        data={"csrf": csrf},
        files={"file": ("fixed.xlsx", fixed.getvalue(), XLSX)},
    )
    assert back.status_code == 200, back.text
    assert "1 dòng được nạp lại, 1 được nhận, 0 vẫn bị cách ly" in back.text
    with transaction(engine) as session:
        entry = session.scalars(select(QuarantineRow)).one()
        replay = session.scalars(select(Batch).where(Batch.replay_of == batch_id)).one()
    assert entry.status == "replayed" and replay.rows_loaded == 1
    assert _audited(engine, "ingest.replay")[-1]["actor"]["via"] == "session"
    assert "30/02/1990" not in web.get(f"/console/upload/batches/{batch_id}").text


def test_a_value_fixed_in_place_is_replayed(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    batch_id, csrf = _ingested(web, engine, settings)
    with transaction(engine) as session:
        entry = session.scalars(select(QuarantineRow.id)).one()
    page = web.get(f"/console/upload/batches/{batch_id}")
    assert 'action="/console/upload/batches/' + batch_id + '/fix"' in page.text
    still = web.post(
        f"/console/upload/batches/{batch_id}/fix",
        data={"csrf": csrf, "entry": str(entry), "field": "date_of_birth", "value": "31/02/1990"},
    )
    assert still.status_code == 200 and "0 được nhận, 1 vẫn bị cách ly" in still.text
    assert '<td class="code">31/02/1990</td>' in still.text  # the new value, still wrong
    done = web.post(
        f"/console/upload/batches/{batch_id}/fix",
        data={"csrf": csrf, "entry": str(entry), "field": "date_of_birth", "value": "1990-02-28"},
    )
    assert done.status_code == 200 and "1 được nhận, 0 vẫn bị cách ly" in done.text
    forged = web.post(
        f"/console/upload/batches/{batch_id}/fix",
        data={"csrf": "forged", "entry": str(entry), "field": "date_of_birth", "value": "x"},
    )
    assert forged.status_code == 403


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda s: s.cell(row=1, column=1, value="Mã"), id="no-id-column"),
        pytest.param(lambda s: s.cell(row=2, column=1, value="999999"), id="unknown-row"),
        pytest.param(lambda s: s.cell(row=1, column=12, value="Ghi chú"), id="strange-column"),
    ],
)
def test_a_workbook_that_is_not_the_batchs_is_refused_whole(
    web: TestClient, engine: Engine, settings: Settings, edit: Any
) -> None:
    batch_id, csrf = _ingested(web, engine, settings)
    got = web.get(f"/console/upload/batches/{batch_id}/rejected.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    sheet = book.active
    sheet.cell(row=2, column=BIRTH + 1).value = "1990-02-28"
    edit(sheet)
    sent = io.BytesIO()
    book.save(sent)
    back = web.post(
        f"/console/upload/batches/{batch_id}/rejected",
        data={"csrf": csrf},
        files={"file": ("fixed.xlsx", sent.getvalue(), XLSX)},
    )
    assert back.status_code == 422 and "not-a-rejected-workbook" in back.text
    assert "<html" in back.text  # the console's page, not the API's JSON
    with transaction(engine) as session:
        assert session.scalars(select(QuarantineRow.status)).one() == "open"
        assert session.scalars(select(Batch).where(Batch.replay_of == batch_id)).first() is None


def test_the_api_gives_the_workbook_scoped_as_the_quarantine(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    batch_id, _ = _ingested(web, engine, settings)
    register_system(engine, settings, "H33.03/khac")
    own = person_headers(web, "api-clerk", Role.data_steward, "H33.02")
    other = person_headers(web, "api-other", Role.data_steward, "H33.03")
    got = web.get(f"/api/v1/ingest/batches/{batch_id}/rejected.xlsx", headers=own)
    assert got.status_code == 200 and got.headers["content-type"] == XLSX
    assert "attachment" in got.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None and sheet.cell(row=2, column=BIRTH + 1).value == "30/02/1990"
    refused = web.get(f"/api/v1/ingest/batches/{batch_id}/rejected.xlsx", headers=other)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "unknown-batch"
    assert _audited(engine, "ingest.rejected-export")[-1]["actor"]["kind"] == "person"


def test_the_batches_list_filters_and_the_progress_part(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    batch_id, _ = _ingested(web, engine, settings)
    listed = web.get("/console/upload/batches")
    assert listed.status_code == 200 and f"/console/upload/batches/{batch_id}" in listed.text
    assert "Hoàn tất" in listed.text
    assert batch_id not in web.get("/console/upload/batches?state=running").text
    assert batch_id in web.get("/console/upload/batches?system=H33.02/hoso").text
    assert batch_id not in web.get("/console/upload/batches?system=H33.03/khac").text
    part = web.get(f"/console/upload/batches/{batch_id}/progress")
    assert part.status_code == 200 and 'id="progress"' in part.text
    assert "hx-trigger" not in part.text  # a finished batch is not polled
    register_system(engine, settings, "H33.03/khac")
    with transaction(engine) as session:
        session.get(Batch, batch_id).status = "running"  # type: ignore[union-attr]
    running = web.get(f"/console/upload/batches/{batch_id}")
    assert 'hx-trigger="every 2s"' in running.text
    assert f'<a href="/console/upload/batches/{batch_id}">' in running.text  # without JS
    _as(web, "other", [(Role.data_steward, "H33.03")])
    assert batch_id not in web.get("/console/upload/batches").text
    assert web.get(f"/console/upload/batches/{batch_id}/rejected.xlsx").status_code == 404
