"""The clerk's upload page over real HTTP: a CSV with the clerk's own headers and one bad row
is checked (its sheet row and header named, nothing written), then ingested (the answer is
the batch's page; once the background job has ended, the good rows are loaded, the bad one
quarantined with its value, audited with the person as actor); another organisation's system
is refused; the form's CSRF check holds."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.http.permissions import Role
from lienthong.ingest.models import Batch
from lienthong.web.app import create_app
from tests.console.people import session_cookie
from tests.ingest.factories import CITIZEN_HEADER, SYSTEM, citizen_row, register_system

STEWARD = [(Role.data_steward, "H33.02")]
HEADERS = {
    "personal_id": "Số định danh",
    "full_name": "Họ và tên",
    "sex": "Giới tính",
    "date_of_birth": "Ngày sinh",
    "ethnic_code": "Mã dân tộc",
    "commune_code": "Mã xã",
    "address_line": "Địa chỉ",
    "phone": "Điện thoại",
}
MAPPING = json.dumps(
    {"columns": {header: field for field, header in HEADERS.items()}}, ensure_ascii=False
)


def clerk_csv() -> bytes:
    """Three rows under the clerk's own headers; the second (sheet row 3) has a 30 February."""
    rows = [citizen_row(1), citizen_row(2, date_of_birth="30/02/1990"), citizen_row(3)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([HEADERS[f] for f in CITIZEN_HEADER])
    writer.writerows([[r[f] for f in CITIZEN_HEADER] for r in rows])
    return out.getvalue().encode("utf-8-sig")


def _as(web: TestClient, subject: str, roles: Any) -> str:
    web.cookies.clear()
    web.cookies.update(session_cookie(web.app, subject, roles))  # type: ignore[arg-type]
    page = web.get("/console/upload")
    assert page.status_code == 200
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _send(web: TestClient, csrf: str, action: str, system: str = SYSTEM) -> Any:
    return web.post(
        "/console/upload",
        data={"csrf": csrf, "standard": "citizen", "system": system, "mapping": MAPPING,
              "action": action},
        files={"file": ("ho-tich.csv", clerk_csv(), "text/csv")},
    )  # fmt: skip


def ended(web: TestClient, answer: Any, seconds: float = 60.0) -> str:
    """The batch page an ingest answered with (303), once its background job has ended: its
    progress part polled as htmx polls it until it is no longer polled."""
    assert answer.status_code == 303, answer.text[:500]
    page = answer.headers["location"]
    assert page.startswith("/console/upload/batches/")
    deadline = time.monotonic() + seconds
    while 'hx-trigger="every' in (part := web.get(f"{page}/progress")).text:
        assert time.monotonic() < deadline, part.text
        time.sleep(0.05)
    return page


def _batches(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Batch)) or 0)


def test_a_steward_checks_then_ingests_and_sees_the_quarantined_value(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    register_system(engine, settings, "H33.03/khac")
    csrf = _as(web, "clerk", STEWARD)
    form = web.get("/console/upload").text
    assert "Tải dữ liệu lên" in form and 'value="citizen"' in form
    assert 'value="H33.02/hoso"' in form and "H33.03/khac" not in form  # own systems only

    checked = _send(web, csrf, "check")
    assert checked.status_code == 200
    assert "3 dòng đã đọc, 2 hợp lệ, 1 có lỗi" in checked.text
    assert "<td>3</td><td>Ngày sinh</td>" in checked.text  # sheet row 3, the clerk's header
    assert "Dòng 3, cột &#34;Ngày sinh&#34;" in checked.text and "invalid-date" in checked.text
    assert _batches(engine) == 0  # a check writes nothing

    page = ended(web, _send(web, csrf, "ingest"))
    with transaction(engine) as session:
        batch = session.scalars(select(Batch)).one()
    assert (batch.rows_loaded, batch.rows_quarantined) == (2, 1)
    assert page == f"/console/upload/batches/{batch.id}"

    listed = web.get(page)
    assert listed.status_code == 200
    assert "2 dòng được nhận, 1 dòng bị cách ly" in listed.text
    assert "<td>3</td><td>Ngày sinh</td>" in listed.text
    assert '<td class="code">30/02/1990</td>' in listed.text
    english = web.get(f"/console/upload/batches/{batch.id}?lang=en")
    assert "Row 3, column &#34;Ngày sinh&#34;" in english.text

    with engine.connect() as conn:
        bodies = [
            json.loads(b)
            for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        ]
    ingested = [e for e in bodies if e["action"].startswith("ingest.")]
    assert ingested and ingested[-1]["actor"]["kind"] == "person"
    assert ingested[-1]["actor"]["via"] == "session"


def test_another_organisations_system_is_refused(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    register_system(engine, settings, "H33.03/khac")
    csrf = _as(web, "clerk", STEWARD)
    refused = _send(web, csrf, "ingest", system="H33.03/khac")
    assert refused.status_code == 403 and "not-permitted" in refused.text
    assert _batches(engine) == 0


def test_the_batch_of_another_organisation_is_unknown(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    register_system(engine, settings, "H33.03/khac")
    csrf = _as(web, "clerk", STEWARD)
    ended(web, _send(web, csrf, "ingest"))
    with transaction(engine) as session:
        batch_id = session.scalars(select(Batch.id)).one()
    _as(web, "other", [(Role.data_steward, "H33.03")])
    other = web.get(f"/console/upload/batches/{batch_id}")
    assert other.status_code == 404 and "unknown-batch" in other.text


def test_without_the_token_nothing_is_ingested_and_readers_cannot_upload(
    web: TestClient, engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    _as(web, "clerk", STEWARD)
    forged = _send(web, "not-the-token", "ingest")
    assert forged.status_code == 403 and _batches(engine) == 0
    web.cookies.clear()
    web.cookies.update(session_cookie(web.app, "reader", [(Role.leader, None)]))  # type: ignore[arg-type]
    assert web.get("/console/upload").status_code == 403


def test_the_form_takes_the_api_upload_limit_not_the_json_one(
    engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    small = {"max_body_bytes": 512, "max_upload_bytes": 64 * 1024}
    for limits, sent, expected in ((small, clerk_csv(), 303), (small, b"x" * 70_000, 413)):
        app = create_app(settings.model_copy(update=limits), engine=engine)
        with TestClient(app, base_url="https://testserver", follow_redirects=False) as web:
            web.cookies.update(session_cookie(app, f"clerk-{expected}", STEWARD))
            page = web.get("/console/upload").text
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            answer = web.post(
                "/console/upload",
                data={"csrf": csrf, "standard": "citizen", "system": SYSTEM, "mapping": MAPPING,
                      "action": "ingest"},
                files={"file": ("ho-tich.csv", sent, "text/csv")},
            )  # fmt: skip
            assert answer.status_code == expected, answer.text[:300]
            if expected == 303:
                ended(web, answer)
    assert _batches(engine) == 1  # the file over the limit wrote nothing
