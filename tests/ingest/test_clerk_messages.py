"""Findings speak the clerk's language: the spreadsheet row and the column header the clerk
wrote beside the field, the value quoted, Vietnamese first (English beside it)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.check import CheckRequest, check_file
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.models import QuarantineRow
from lienthong.ingest.replay import replay
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.ingest.factories import CITIZEN_HEADER, SYSTEM, citizen_row, register_system

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
MAPPING = Mapping(columns={header: field for field, header in HEADERS.items()})


def _rows() -> list[dict[str, str]]:
    rows = [citizen_row(i) for i in range(1, 6)]
    rows[1]["date_of_birth"] = "30/02/1990"  # data row 2: invalid-date
    rows[3]["full_name"] = ""  # data row 4: missing-value
    rows[4]["sex"] = "2"  # data row 5: personal-id-mismatch
    return rows


def _clerk_csv(path: Path) -> Path:
    """As a spreadsheet saves a sheet with Vietnamese headers: UTF-8 with a BOM, CRLF."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([HEADERS[f] for f in CITIZEN_HEADER])
        writer.writerows([[r[f] for f in CITIZEN_HEADER] for r in _rows()])
    return path


def _clerk_xlsx(path: Path) -> Path:
    """A workbook whose header sits on sheet row 3 under two empty rows, as a report laid
    out for printing is exported."""
    book = openpyxl.Workbook()
    sheet = book.active
    for column, field in enumerate(CITIZEN_HEADER, start=1):
        sheet.cell(row=3, column=column, value=HEADERS[field])
    for row in _rows():
        sheet.append([row[f] for f in CITIZEN_HEADER])
    book.save(path)
    return path


def _placed(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("row", "field", "code", "column", "sheet_row")
    return sorted(tuple(f[k] for k in keys) for f in findings if f["row"] is not None)


def _expected(offset: int) -> list[tuple[Any, ...]]:
    return [
        (2, "date_of_birth", "invalid-date", "Ngày sinh", 2 + offset),
        (4, "full_name", "missing-value", "Họ và tên", 4 + offset),
        (5, "personal_id", "personal-id-mismatch", "Số định danh", 5 + offset),
    ]


def test_csv_findings_name_the_sheet_row_and_the_clerks_header(
    engine: Engine, tmp_path: Path
) -> None:
    out = io.BytesIO()
    report = check_file(
        engine=engine,
        request=CheckRequest(
            path=_clerk_csv(tmp_path / "dan_cu.csv"), standard="citizen", mapping=MAPPING
        ),
        findings_out=out,
    )
    assert _placed(report.examples) == _expected(offset=1)  # data row 1 is sheet row 2
    (bad_date,) = [e for e in report.examples if e["code"] == "invalid-date"]
    assert bad_date["message"].startswith('Dòng 3, cột "Ngày sinh" (date_of_birth): "30/02/1990"')
    assert bad_date["message_en"].startswith('Row 3, column "Ngày sinh" (date_of_birth): ')
    written = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert list(written[0]) == [
        "row", "sheet_row", "field", "column", "code", "severity", "message", "message_en"
    ]  # fmt: skip
    assert _placed(
        [{**w, "row": int(w["row"]), "sheet_row": int(w["sheet_row"])} for w in written]
    ) == _expected(offset=1)


def test_workbook_findings_use_the_sheets_own_row_numbers(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = _clerk_xlsx(tmp_path / "dan_cu.xlsx")
    request = IngestRequest(path=path, standard="citizen", system=SYSTEM, mapping=MAPPING)
    batch = ingest_file(engine=engine, request=request, settings=settings)
    assert _placed(batch.summary["examples"]) == _expected(offset=3)  # header on sheet row 3
    assert batch.summary["source_columns"]["full_name"] == "Họ và tên"
    with transaction(engine) as session:
        entries = list(session.scalars(select(QuarantineRow).order_by(QuarantineRow.row)))
        assert _placed([f for q in entries for f in q.findings]) == _expected(offset=3)
        missing = entries[1].findings[0]
        assert (
            missing["message"] == 'Dòng 7, cột "Họ và tên" (full_name): bắt buộc nhưng bị bỏ trống'
        )
        # A replay of a row that still fails names it as the workbook does.
        replay(
            session=session,
            settings=settings,
            batch_id=batch.id,
            fixes={entries[0].id: {"date_of_birth": "31/02/1990"}},
        )
    with transaction(engine) as session:
        again = session.scalars(select(QuarantineRow).where(QuarantineRow.row == 2)).one()
        assert _placed(again.findings) == [(2, "date_of_birth", "invalid-date", "Ngày sinh", 5)]
        assert '"31/02/1990"' in again.findings[0]["message"]


def test_json_lines_findings_give_the_line_number(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dan_cu.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in _rows()]
    lines.insert(2, "")  # a blank line: numbers after it move on by one
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = check_file(engine=engine, request=CheckRequest(path=path, standard="citizen"))
    assert [(e["row"], e["sheet_row"], e["column"]) for e in report.examples] == [
        (2, 2, "date_of_birth"), (5, 5, "full_name"), (6, 6, "personal_id")
    ]  # fmt: skip


def test_http_answers_carry_the_clerks_place(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = _clerk_csv(tmp_path / "dan_cu.csv")
    mapping = json.dumps({"columns": MAPPING.columns}, ensure_ascii=False).encode()
    response = client.post(
        "/api/v1/ingest/citizen",
        params={"system": SYSTEM},
        files={"file": (path.name, path.read_bytes()), "mapping": ("m.json", mapping)},
        headers=operator,
    )
    assert response.status_code == 201, response.text
    batch = response.json()
    assert _placed(batch["report"]["examples"]) == _expected(offset=1)
    listed = client.get(f"/api/v1/ingest/batches/{batch['id']}/quarantine", headers=operator)
    assert listed.status_code == 200, listed.text
    found = [f for entry in listed.json()["items"] for f in entry["findings"]]
    assert _placed(found) == _expected(offset=1)
    assert all(f["message"].startswith("Dòng ") and f["message_en"] for f in found)


def test_an_unmapped_column_is_named_as_the_file_names_it(engine: Engine, tmp_path: Path) -> None:
    path = _clerk_csv(tmp_path / "dan_cu.csv")
    partial = Mapping(columns={k: v for k, v in MAPPING.columns.items() if v != "phone"})
    report = check_file(
        engine=engine, request=CheckRequest(path=path, standard="citizen", mapping=partial)
    )
    (unmapped,) = [e for e in report.examples if e["code"] == "unmapped-column"]
    assert (unmapped["row"], unmapped["sheet_row"], unmapped["column"]) == (
        None,
        None,
        "Điện thoại",
    )
    assert unmapped["message"].startswith('Cột "Điện thoại": ')
