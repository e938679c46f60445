"""The audit pages through the application: the search with its filters, the chain's status
and the export (auditors), the subject report (auditors), "who looked at my data" (citizens,
their own reads only), each audited; refusals as pages in Vietnamese."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from lienthong.audit.models import AuditEntry
from lienthong.audit.service import audit_keys, hashes, record
from lienthong.db import transaction
from lienthong.events import event
from lienthong.http.permissions import Role
from tests.console.people import CITIZEN_ID, LEADER, session_cookie

AUDITOR = [(Role.auditor, None)]
OTHER_ID = "001090000999"


def _signed(web: TestClient, subject: str, roles: list[tuple[Role, str | None]], **kw: str) -> None:
    web.cookies.clear()
    web.cookies.update(session_cookie(web.app, subject, roles, **kw))  # type: ignore[arg-type]


def _reads(web: TestClient) -> None:
    """Answered reads as the exchange records them: a system, a dataset, a purpose, on whose
    behalf, and the keyed hashes of the persons whose records were returned."""
    app: Any = web.app
    settings = app.state.settings
    keys = audit_keys(settings)
    reads = (
        ("H33.SYT/his", "H33.SYT", "citizen", "treatment", "bs-01", CITIZEN_ID),
        ("H33.STNMT/land", "H33.STNMT", "land_parcel", "land-registration", None, CITIZEN_ID),
        ("H33.SYT/his", "H33.SYT", "citizen", "treatment", "bs-02", OTHER_ID),
    )
    with transaction(app.state.engine) as session:
        for system, organisation, dataset, purpose, behalf, pid in reads:
            record(
                session=session,
                settings=settings,
                entry=event(
                    "data.read",
                    actor={"kind": "system", "organisation": organisation, "system": system},
                    dataset=dataset,
                    purpose=purpose,
                    on_behalf_of=behalf,
                    count=1,
                    subjects=hashes(keys, [pid]),
                ),
            )


def _log(web: TestClient) -> list[dict[str, Any]]:
    with web.app.state.sessions() as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(AuditEntry.body).order_by(AuditEntry.seq))
        return [json.loads(b) for b in rows]


def test_an_auditor_searches_by_system_dataset_purpose_and_time(web: TestClient) -> None:
    _reads(web)
    _signed(web, "aud-1", AUDITOR)
    page = web.get("/console/audit?system=H33.SYT/his&purpose=treatment")
    assert page.status_code == 200, page.text
    assert '<html lang="vi">' in page.text and "Nhật ký kiểm toán" in page.text
    assert page.text.count('<tr><td class="code">') == 2  # the two treatment reads
    assert "land_parcel" not in page.text.split("<tbody>")[1]
    assert "Thành công" in page.text
    # The chain's status: the latest checkpoint, checked against the audit key.
    assert "được ký bằng khóa kiểm toán" in page.text
    narrower = web.get("/console/audit?dataset=land_parcel")
    assert narrower.text.split("<tbody>")[1].count("<tr>") == 1
    # A time range outside the reads finds nothing; one around today finds them.
    assert "<tbody>" not in web.get("/console/audit?system=H33.SYT/his&until=2020-01-01").text
    today = _log(web)[-1]["at"][:10]
    found = web.get(f"/console/audit?system=H33.SYT/his&since={today}&until={today}")
    assert found.text.split("<tbody>")[1].count("<tr>") == 2
    # Each search is audited as the API's audit search is, with what was searched.
    searches = [b for b in _log(web) if b["action"] == "audit.search"]
    assert searches[0]["actor"]["kind"] == "person"
    assert searches[0]["searched"] == {"system": "H33.SYT/his", "purpose": "treatment"}
    assert searches[0]["count"] == 2


def test_a_wrong_date_is_an_error_page_not_json(web: TestClient) -> None:
    _signed(web, "aud-2", AUDITOR)
    page = web.get("/console/audit?since=yesterday")
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "validation-failed" in page.text


def test_the_export_holds_the_filtered_entries_as_the_log_holds_them(web: TestClient) -> None:
    _reads(web)
    _signed(web, "aud-3", AUDITOR)
    page = web.get("/console/audit?dataset=citizen&purpose=treatment")
    href = 'href="/console/audit/export.jsonl?dataset=citizen&amp;purpose=treatment"'
    assert href in page.text
    export = web.get("/console/audit/export.jsonl?dataset=citizen&purpose=treatment")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in export.headers["content-disposition"]
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [(e["actor"]["system"], e["on_behalf_of"]) for e in lines] == [
        ("H33.SYT/his", "bs-01"),
        ("H33.SYT/his", "bs-02"),
    ]
    held = {b["seq"]: b for b in _log(web)}
    assert all(held[e["seq"]] == e for e in lines)  # exactly as the log holds them
    assert held[max(held)]["action"] == "audit.search" and held[max(held)]["export"] is True


def test_the_subject_report_for_an_auditor(web: TestClient) -> None:
    _reads(web)
    _signed(web, "aud-4", AUDITOR)
    empty = web.get("/console/audit/subjects")
    assert empty.status_code == 200 and "<tbody>" not in empty.text
    page = web.get(f"/console/audit/subjects?personal_id={CITIZEN_ID}")
    assert page.status_code == 200
    rows = page.text.split("<tbody>")[1]
    assert rows.count("<tr>") == 2 and "bs-01" in rows and "land-registration" in rows
    assert "bs-02" not in rows  # another person's read
    reports = [b for b in _log(web) if b["action"] == "audit.subject-report"]
    assert reports[-1]["count"] == 2 and CITIZEN_ID not in json.dumps(reports[-1])


def test_a_citizen_sees_only_their_own_reads_in_plain_vietnamese(web: TestClient) -> None:
    _reads(web)
    _signed(web, "cit-1", [(Role.citizen, None)], personal_id=CITIZEN_ID)
    home = web.get("/console/")
    assert 'href="/console/me/reads"' in home.text and 'href="/console/audit"' not in home.text
    page = web.get("/console/me/reads")
    assert page.status_code == 200
    assert "Ai đã xem dữ liệu của tôi" in page.text
    rows = page.text.split('<ol class="reads">')[1]
    assert rows.count("<li>") == 2 and "bs-02" not in rows
    assert "(giờ Việt Nam), hệ thống H33.SYT/his của cơ quan H33.SYT đã đọc hồ sơ" in rows
    assert "Mục đích: treatment. Thay mặt: bs-01.</li>" in rows
    own = [b for b in _log(web) if b["action"] == "audit.subject-report"]
    assert own[-1]["own"] is True and own[-1]["count"] == 2
    # The log and another person's report are not a citizen's: refused with a page.
    for path in ("/console/audit", f"/console/audit/subjects?personal_id={OTHER_ID}"):
        refused = web.get(path)
        assert refused.status_code == 403 and refused.headers["content-type"].startswith(
            "text/html"
        )
        assert "Không có quyền truy cập" in refused.text
    assert web.get("/console/audit/export.jsonl").status_code == 403
    denied = [b for b in _log(web) if b["action"] == "permission.denied"]
    assert [d["route"] for d in denied[-3:]] == [
        "/console/audit",
        "/console/audit/subjects",
        "/console/audit/export.jsonl",
    ]


def test_a_leader_is_refused_the_audit_pages(web: TestClient) -> None:
    _signed(web, "leader-1", LEADER)
    for path in ("/console/audit", "/console/audit/subjects", "/console/me/reads"):
        refused = web.get(path)
        assert refused.status_code == 403, path
        assert "Không có quyền truy cập" in refused.text
    assert 'href="/console/audit"' not in web.get("/console/").text
