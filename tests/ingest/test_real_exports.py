"""Files the platform did not write: bytes as other tools make them, and what the user sees.

Each file here is built byte by byte the way its tool writes it (a NUL-padded fixed-width
export, UTF-16 from a database dump without a byte-order mark, a workbook cut short in
transfer, a legacy-encoded register from an independent converter), not with our own writer.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.service import list_quarantine
from lienthong.ingest.sources import open_source
from lienthong.ingest.sources.encodings import SAMPLE_BYTES
from lienthong.ingest.sources.errors import (
    FileNotFound,
    ImplausibleEncoding,
    InvalidEncoding,
    TruncatedFile,
)
from tests.cli import run_cli
from tests.ingest.factories import CITIZEN_HEADER, citizen_row, register_system
from tests.paging import a_page

URL = "/api/v1/ingest/citizen"
CONVERTER = Path(__file__).parent / "data" / "vietnamese-conversion"


def _line(row: dict[str, str]) -> bytes:
    return (",".join(row[c] for c in CITIZEN_HEADER) + "\r\n").encode("utf-8")


def _citizens(rows: list[dict[str, str]]) -> bytes:
    return (",".join(CITIZEN_HEADER) + "\r\n").encode("ascii") + b"".join(map(_line, rows))


def _post(client: TestClient, operator: dict[str, str], name: str, body: bytes, **params: Any):
    return client.post(
        URL + params.pop("suffix", ""),
        params={"system": "H33.02/hoso", "filename": name, **params},
        content=body,
        headers=operator,
    )


def _error(result: Any) -> dict[str, Any]:
    """The one error shape, from an HTTP answer or a CLI run's standard error."""
    if hasattr(result, "json"):
        return result.json()["error"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stderr)["error"]


# --- NUL and other control characters ----------------------------------------------------------


def _nul_padded(tmp_path: Path) -> Path:
    """A fixed-width CHAR(40) export: the name padded with NUL bytes, as C tools write it."""
    rows = [citizen_row(i) for i in range(1, 6)]
    body = bytearray(_citizens(rows))
    padded = _line(citizen_row(3)).replace(
        b"Nguy\xe1\xbb\x85n V\xc4\x83n 3", b"Tran Van 3" + b"\0" * 30
    )
    body = body.replace(_line(citizen_row(3)), padded)
    path = tmp_path / "xuat_co_dinh.csv"
    path.write_bytes(bytes(body))
    return path


def test_nul_bytes_quarantine_their_row_and_the_rest_loads(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = _nul_padded(tmp_path)
    assert b"\0" in path.read_bytes()

    checked = _post(client, operator, path.name, path.read_bytes(), suffix="/check")
    assert checked.status_code == 200, checked.text
    assert (checked.json()["rows_valid"], checked.json()["rows_invalid"]) == (4, 1)
    assert "control-character:full_name" in checked.json()["finding_counts"]

    response = _post(client, operator, path.name, path.read_bytes())
    assert response.status_code in (200, 201), response.text
    batch = response.json()
    assert (batch["rows_loaded"], batch["rows_quarantined"]) == (4, 1)
    with transaction(engine) as session:
        (entry,), _ = list_quarantine(session=session, batch_id=batch["id"], page=a_page())
        assert entry.row == 3
        assert ("full_name", "control-character") in [
            (f["field"], f["code"]) for f in entry.findings
        ]
        assert entry.values["full_name"].startswith("Tran Van 3\0")  # kept as it was sent


# --- Encodings ---------------------------------------------------------------------------------


def test_a_wrong_declared_encoding_is_refused(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    tcvn3 = CONVERTER / "names-tcvn3.csv"  # "TrÇn V¨n ¦íc" when read as Windows-1258
    with pytest.raises(ImplausibleEncoding) as caught:
        open_source(tcvn3, encoding="windows-1258")
    assert caught.value.details[0].field == "encoding"
    assert "tcvn3" in caught.value.message  # says what the file reads as
    response = _post(
        client, operator, "ho_so.csv", tcvn3.read_bytes(), encoding="windows-1258", suffix="/check"
    )
    assert (response.status_code, _error(response)["code"]) == (422, "implausible-encoding")
    assert "ho_so.csv" in _error(response)["message"]
    # The right declaration, and none at all, read it.
    assert open_source(tcvn3, encoding="tcvn3").encoding == "tcvn3"
    assert open_source(tcvn3).encoding == "tcvn3"


def test_unicode_text_garbled_before_it_was_saved_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ho_ten.csv"  # TCVN3 bytes shown as Windows-1252, then saved as UTF-8
    path.write_bytes((CONVERTER / "names-tcvn3.csv").read_bytes().decode("cp1252").encode("utf-8"))
    source = open_source(path)
    assert source.encoding == "utf-8"
    assert [(f.code, f.severity) for f in source.findings] == [("implausible-text", "warning")]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read_as_utf16(tmp_path: Path, codec: str) -> None:
    # SQL Server's bcp -w and other dumps write UTF-16 with no byte-order mark.
    text = (CONVERTER / "names.csv").read_text("utf-8").replace("\n", "\r\n")
    path = tmp_path / "dump.csv"
    path.write_bytes(text.encode(codec))
    source = open_source(path)
    assert source.encoding == codec
    rows = [r for chunk in source.chunks() for r in chunk.select(source.columns).rows()]
    assert rows[0] == ("Đặng Thị Ánh Tuyết", "Xã Ân Thi")
    assert not any("\0" in v for r in rows for v in r)


def _past_the_sample(tmp_path: Path) -> Path:
    """UTF-8 for the first megabyte and more, then one Windows-1252 byte (a pasted-in row)."""
    rows = [citizen_row(i) for i in range(1, SAMPLE_BYTES // 80 + 2000)]
    body = _citizens(rows) + _line(citizen_row(99999)).replace(b"Nguy", b"Ng\xf4y")
    path = tmp_path / "dan_cu_lon.csv"
    path.write_bytes(body)
    assert len(body) > SAMPLE_BYTES and body.index(b"\xf4") > SAMPLE_BYTES
    return path


def test_non_utf8_bytes_past_the_first_megabyte_are_invalid_encoding(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    path = _past_the_sample(tmp_path)
    with pytest.raises(InvalidEncoding) as caught:
        for _ in open_source(path).chunks():
            pass
    assert f"{len(path.read_bytes().splitlines())}" in caught.value.message  # the line it is on
    for suffix in ("/check", ""):
        response = _post(client, operator, path.name, path.read_bytes(), suffix=suffix)
        assert (response.status_code, _error(response)["code"]) == (422, "invalid-encoding")
        assert path.name in _error(response)["message"]
    result = run_cli(settings, "ingest", "check", str(path), "--standard", "citizen")
    assert _error(result)["code"] == "invalid-encoding"


# --- Missing, misnamed and mislabelled files ---------------------------------------------------


def test_a_missing_file_is_file_not_found(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    missing = tmp_path / "khong_co.csv"
    with pytest.raises(FileNotFound):
        open_source(missing)
    for args in (
        ("ingest", str(missing), "--standard", "citizen", "--system", "H33.02/hoso"),
        ("ingest", "check", str(missing), "--standard", "citizen"),
    ):
        error = _error(run_cli(settings, *args))
        assert error["code"] == "file-not-found"
        assert "khong_co.csv" in error["message"]


def test_http_messages_name_the_file_as_uploaded(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    register_system(engine, settings)
    for suffix in ("", "/check"):
        response = _post(client, operator, "danh_sach_xa.csv", b"", suffix=suffix)
        error = _error(response)
        assert (response.status_code, error["code"]) == (422, "empty-file")
        assert "danh_sach_xa.csv" in error["message"] and "upload" not in error["message"]


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(CITIZEN_HEADER)
    for i in range(1, 400):
        sheet.append(list(citizen_row(i).values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_cut_short_and_named_csv_is_said_to_be_a_workbook(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    whole = _workbook()
    cut = whole[: len(whole) * 2 // 3]
    path = tmp_path / "so_lieu.csv"
    path.write_bytes(cut)
    with pytest.raises(TruncatedFile) as caught:
        open_source(path)
    assert "xlsx" in caught.value.message
    response = _post(client, operator, "so_lieu.csv", cut, suffix="/check")
    error = _error(response)
    assert (response.status_code, error["code"]) == (422, "truncated-file")
    assert "so_lieu.csv" in error["message"] and "xlsx" in error["message"]
    # Whole, the same workbook under a .csv name is read as the workbook it is.
    path.write_bytes(whole)
    assert open_source(path).format == "xlsx"
