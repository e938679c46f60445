"""Checking a file without loading it: the same verdict as an ingest, and nothing written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.errors import LienthongError
from lienthong.ingest.check import CheckRequest, check_file
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.schemas import BatchReport
from lienthong.ingest.service import IngestRequest, ingest_file, list_quarantine
from lienthong.store.service import list_records
from tests.cli import run_cli
from tests.ingest.factories import citizen_row, register_system, write_citizens
from tests.paging import a_page


def _rows() -> list[dict[str, str]]:
    rows = [citizen_row(i) for i in range(1, 21)]
    rows[4]["sex"] = "2"  # row 5: personal-id-mismatch
    rows[9]["date_of_birth"] = "31/02/1990"  # row 10: invalid-date
    rows.append(citizen_row(3))  # row 21: duplicate-key
    return rows


def _nothing_written(engine: Engine) -> None:
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0
        assert session.scalar(select(func.count()).select_from(QuarantineRow)) == 0
        records, _ = list_records(session=session, dataset="citizen", page=a_page(10))
        assert records == []


def test_check_endpoint_reports_and_writes_nothing(
    client: TestClient, operator: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    path = write_citizens(tmp_path / "dan_cu.csv", _rows())
    response = client.post(
        "/api/v1/ingest/citizen/check",
        params={"filename": path.name},
        content=path.read_bytes(),
        headers=operator,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows_read"], report["rows_valid"], report["rows_invalid"]) == (21, 18, 3)
    assert report["finding_counts"] == {
        "personal-id-mismatch:personal_id": 1,
        "invalid-date:date_of_birth": 1,
        "duplicate-key:personal_id": 1,
    }
    assert [e["row"] for e in report["examples"]] == [5, 10, 21]
    assert report["source_name"] == "dan_cu.csv" and report["format"] == "csv"
    _nothing_written(engine)
    unknown = client.post("/api/v1/ingest/nope/check", content=path.read_bytes(), headers=operator)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "unknown-standard"


def test_check_agrees_with_ingest_across_chunks(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # Keys repeated across chunks of 4 rows: the check (two threads) settles them in order.
    rows = [citizen_row(i) for i in range(1, 30)]
    rows += [citizen_row(2), citizen_row(17), citizen_row(29, sex="2"), citizen_row(40)]
    rows[6]["phone"] = "12345"
    path = write_citizens(tmp_path / "many.csv", rows)
    checked = check_file(
        engine=engine, request=CheckRequest(path=path, standard="citizen", chunk_rows=4)
    )
    _nothing_written(engine)
    system = register_system(engine, settings)
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system=system, chunk_rows=4),
    )
    assert (checked.rows_read, checked.rows_valid, checked.rows_invalid) == (
        batch.rows_read,
        batch.rows_loaded,
        batch.rows_quarantined,
    )
    assert checked.rows_invalid == 4
    assert checked.finding_counts == BatchReport.model_validate(batch).report.finding_counts
    with transaction(engine) as session:
        quarantined, _ = list_quarantine(session=session, batch_id=batch.id, page=a_page())
    assert sorted(q.row for q in quarantined) == [7, 30, 31, 32]


def test_check_command(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    path = write_citizens(tmp_path / "dan_cu.csv", _rows())
    out = tmp_path / "findings.csv"
    run = run_cli(
        settings,
        "ingest",
        "check",
        str(path),
        "--standard",
        "citizen",
        "--findings-out",
        str(out),
        "--json",
    )
    assert run.returncode == 2, run.stderr  # some rows are invalid
    report = json.loads(run.stdout)
    assert (report["rows_valid"], report["rows_invalid"]) == (18, 3)
    found = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(f["row"], f["code"]) for f in found] == [
        ("5", "personal-id-mismatch"),
        ("10", "invalid-date"),
        ("21", "duplicate-key"),
    ]
    clean = write_citizens(tmp_path / "clean.csv", [citizen_row(i) for i in range(1, 6)])
    run = run_cli(settings, "ingest", "check", str(clean), "--standard", "citizen")
    assert run.returncode == 0, run.stderr
    assert "Nothing was written" in run.stdout
    run = run_cli(settings, "ingest", "check", str(clean), "--standard", "nope")
    assert run.returncode == 1
    assert json.loads(run.stderr)["error"]["code"] == "unknown-standard"
    _nothing_written(engine)


def test_json_keys_first_met_mid_file_are_kept(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # An exporter that leaves out empty fields: "phone" and an unknown "ghi_chu" first appear
    # well after the lines a reader samples for its header.
    rows = [citizen_row(i) for i in range(1, 1601)]
    lines = []
    for i, row in enumerate(rows, start=1):
        obj = {k: v for k, v in row.items() if k != "phone" or i >= 1200}
        if i == 1500:
            obj["ghi_chu"] = "chuyển hộ khẩu"
        lines.append(json.dumps(obj, ensure_ascii=False))
    path = tmp_path / "dan_cu.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = check_file(
        engine=engine, request=CheckRequest(path=path, standard="citizen", chunk_rows=500)
    )
    assert (checked.rows_valid, checked.rows_invalid) == (1600, 0)
    assert checked.finding_counts == {"unmapped-column:ghi_chu": 1}
    system = register_system(engine, settings)
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system=system, chunk_rows=500),
    )
    with transaction(engine) as session:
        late, _ = list_records(
            session=session,
            dataset="citizen",
            filters={"personal_id": rows[1299]["personal_id"]},
            page=a_page(),
        )
        early, _ = list_records(
            session=session,
            dataset="citizen",
            filters={"personal_id": rows[9]["personal_id"]},
            page=a_page(),
        )
    assert late[0]["phone"] == rows[1299]["phone"]
    assert early[0]["phone"] is None


def test_a_wrong_standard_is_said_before_a_bad_file(engine: Engine, tmp_path: Path) -> None:
    # The standard loads while the file is read; the answer does not depend on which ends first.
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(LienthongError) as caught:
        check_file(engine=engine, request=CheckRequest(path=empty, standard="nope"))
    assert caught.value.code == "unknown-standard"
    with pytest.raises(LienthongError) as caught:
        check_file(engine=engine, request=CheckRequest(path=empty, standard="citizen"))
    assert caught.value.code == "empty-file"
