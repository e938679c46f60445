"""Ingest end to end through the API: counts, quarantine, replay, idempotence, bad input."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.replay import replay
from lienthong.ingest.service import IngestRequest, ingest_file, list_quarantine
from lienthong.store.service import list_records
from lienthong.web.app import create_app
from tests.ingest.factories import citizen_row, register_system, write_citizens
from tests.paging import a_page

URL = "/api/v1/ingest/citizen"


def _rows() -> list[dict[str, str]]:
    rows = [citizen_row(i) for i in range(1, 21)]
    rows[4]["sex"] = "2"  # row 5: personal-id-mismatch
    rows[9]["date_of_birth"] = "31/02/1990"  # row 10: invalid-date
    rows.append(citizen_row(3))  # row 21: duplicate-key
    return rows


def _upload(client: TestClient, operator: dict[str, str], path: Path, **params: Any):
    return client.post(
        URL if "standard" not in params else f"/api/v1/ingest/{params.pop('standard')}",
        params={"system": "H33.02/hoso", "filename": path.name, **params},
        content=path.read_bytes(),
        headers=operator,
    )


def _counts(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Batch)) or 0,
            session.scalar(select(func.count()).select_from(QuarantineRow)) or 0,
        )


def test_upload_quarantine_replay(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", _rows())
    response = _upload(client, operator, path)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert batch["status"] == "completed"
    assert (batch["rows_read"], batch["rows_loaded"], batch["rows_quarantined"]) == (21, 18, 3)
    assert batch["inserted"] == 18
    assert batch["report"]["finding_counts"]["duplicate-key:personal_id"] == 1

    quarantine = client.get(
        f"/api/v1/ingest/batches/{batch['id']}/quarantine", headers=operator
    ).json()["items"]
    by_row = {q["row"]: q for q in quarantine}
    assert set(by_row) == {5, 10, 21}
    assert [f["code"] for f in by_row[10]["findings"]] == ["invalid-date"]
    assert by_row[10]["values"]["date_of_birth"] == "31/02/1990"

    # Fix row 10 only; row 5 stays wrong.
    fix = {"fixes": [{"id": by_row[10]["id"], "values": {"date_of_birth": "1990-02-28"}}]}
    replayed = client.post(
        f"/api/v1/ingest/batches/{batch['id']}/replay", json=fix, headers=operator
    )
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["replay_of"] == batch["id"]
    assert replayed.json()["rows_loaded"] == 2  # row 10 fixed; row 21 repeats a stored key
    still = client.get(f"/api/v1/ingest/batches/{batch['id']}/quarantine", headers=operator).json()[
        "items"
    ]
    assert [q["row"] for q in still] == [5]

    again = _upload(client, operator, path).json()
    assert (again["inserted"], again["updated"]) == (0, 0)
    assert again["unchanged"] == again["rows_loaded"] == 18
    with transaction(engine) as session:
        records, _ = list_records(session=session, dataset="citizen", page=a_page(100))
    assert len(records) == 19

    listed = client.get("/api/v1/ingest/batches", headers=operator).json()["items"]
    assert len(listed) == 3
    report = client.get(f"/api/v1/ingest/batches/{batch['id']}", headers=operator).json()
    assert report["report"]["seconds"] >= 0 and report["report"]["rows_valid"] == 18

    # Every ingest and replay is in the audit log: who, what, from where — counts, no values.
    with engine.connect() as conn:
        bodies = [
            json.loads(b) for (b,) in conn.execute(select(AuditEntry.body).order_by(AuditEntry.seq))
        ]
    loads = [b for b in bodies if b["action"].startswith("ingest.")]
    assert [(b["action"], b["actor"]["kind"], b["count"]) for b in loads] == [
        ("ingest.batch", "operator", 21),
        ("ingest.replay", "operator", 3),
        ("ingest.batch", "operator", 21),
    ]
    first = loads[0]
    assert first["detail"]["batch"] == batch["id"] and first["detail"]["source"] == "dan_cu.csv"
    assert first["detail"]["checksum"] == batch["checksum"] and first["dataset"] == "citizen"
    assert first["counts"] == {
        "loaded": 18, "quarantined": 3, "inserted": 18, "updated": 0, "unchanged": 0
    }  # fmt: skip
    assert loads[1]["detail"] == {
        "batch": replayed.json()["id"], "replay_of": batch["id"], "fixed": 1
    }  # fmt: skip
    assert loads[1]["counts"] == {"loaded": 2, "quarantined": 1}
    assert "31/02/1990" not in json.dumps(loads)


def test_bad_inputs_write_nothing(
    client: TestClient,
    operator: dict[str, str],
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
) -> None:
    register_system(engine, settings)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    response = _upload(client, operator, empty)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "empty-file")

    alien = tmp_path / "alien.csv"
    alien.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    response = _upload(client, operator, alien)
    assert response.json()["error"]["code"] == "no-matching-columns"

    good = io.BytesIO()
    with zipfile.ZipFile(good, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>" * 2000)
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    response = _upload(client, operator, truncated)
    assert response.json()["error"]["code"] == "truncated-file"

    path = write_citizens(tmp_path / "ok.csv", [citizen_row(1)])
    response = _upload(client, operator, path, standard="citizens")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown-standard")

    response = client.post(
        URL, params={"system": "NOPE/x"}, content=path.read_bytes(), headers=operator
    )
    assert response.json()["error"]["code"] == "unknown-system"
    assert client.post(URL, params={"system": "H33.02/hoso"}, content=b"x").status_code == 401
    assert _counts(engine) == (0, 0)


def test_upload_over_the_limit(settings: Any, engine: Engine, operator: dict[str, str]) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 1000})
    with TestClient(create_app(small, engine=engine)) as client:

        def body():  # streamed without Content-Length, as a 2 GB upload would be
            for _ in range(100):
                yield b"personal_id,full_name\n" * 10

        response = client.post(
            URL, params={"system": "H33.02/hoso"}, content=body(), headers=operator
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload-too-large"
    assert _counts(engine) == (0, 0)


def test_a_row_the_reader_cannot_split_keeps_all_its_text(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = write_citizens(tmp_path / "dan_cu.csv", [citizen_row(i) for i in range(1, 4)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",ghi chú thêm,0912000111"  # row 2 carries two values past the header
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.02/hoso"),
    )
    assert (batch.rows_loaded, batch.rows_quarantined) == (2, 1)
    with transaction(engine) as session:
        (entry,), _ = list_quarantine(session=session, batch_id=batch.id, page=a_page())
        assert entry.row == 2
        assert entry.values["_source"] == lines[2]
        assert [f["code"] for f in entry.findings] == ["malformed-row"]
        # Replaying with a fix that still fails keeps the source text beside the new values.
        replay(
            session=session, settings=settings, batch_id=batch.id, fixes={entry.id: {"sex": "9"}}
        )
    with transaction(engine) as session:
        (again,), _ = list_quarantine(session=session, batch_id=batch.id, page=a_page())
        assert again.values["sex"] == "9" and again.values["_source"] == lines[2]


def test_a_replay_cleans_fixed_values_as_any_source_does(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    # A correction typed in decomposed Unicode is stored composed (NFC), as a file's would be.
    register_system(engine, settings)
    rows = [citizen_row(1), citizen_row(2, full_name="")]
    path = write_citizens(tmp_path / "dan_cu.csv", rows)
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.02/hoso"),
    )
    with transaction(engine) as session:
        (entry,), _ = list_quarantine(session=session, batch_id=batch.id, page=a_page())
        again = replay(
            session=session,
            settings=settings,
            batch_id=batch.id,
            fixes={entry.id: {"full_name": " Nguye\u0302\u0303n Thi\u0323 Lan"}},
        )
        assert (again.status, again.format, again.replay_of) == ("completed", "replay", batch.id)
        assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (1, 1, 0)
    with transaction(engine) as session:
        records, _ = list_records(
            session=session,
            dataset="citizen",
            filters={"personal_id": rows[1]["personal_id"]},
            page=a_page(),
        )
        (fixed,), _ = list_quarantine(
            session=session, batch_id=batch.id, status="replayed", page=a_page()
        )
    assert records[0]["full_name"] == "Nguyễn Thị Lan"
    assert fixed.replayed_batch_id == again.id
