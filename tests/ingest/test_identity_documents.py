"""A land register export as a spreadsheet saves it ("CSV UTF-8": byte-order mark, CRLF,
Vietnamese headers): holders on file under an old CMND, a passport or a tax code, their birth
as a date or a year alone. Identity documents load; only wrong ones are quarantined."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.ingest.service import list_quarantine
from lienthong.store.service import iter_frames
from tests.cli import run_cli
from tests.ingest.factories import SYSTEM, personal_id, register_system, tax_code
from tests.paging import a_page

HEADER = (
    "Mã xã,Số tờ bản đồ,Số thửa,Diện tích (m2),Loại đất,Số CMND/CCCD/MST,Tên chủ sử dụng,"
    "Ngày sinh,Năm sinh,Loại giấy tờ,Số giấy tờ"
)
MAPPING = {
    "columns": {
        "Mã xã": "commune_code",
        "Số tờ bản đồ": "map_sheet",
        "Số thửa": "parcel_number",
        "Diện tích (m2)": "area_m2",
        "Loại đất": "land_use_type",
        "Số CMND/CCCD/MST": "holder_id",
        "Tên chủ sử dụng": "holder_name",
        "Ngày sinh": "holder_birth_date",
        "Năm sinh": "holder_birth_year",
        "Loại giấy tờ": "holder_document_type",
        "Số giấy tờ": "holder_document_number",
    },
    "transforms": {"holder_birth_date": [{"date": ["%d/%m/%Y"]}]},
}


def test_land_register_with_old_cards_and_birth_years(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    register_system(engine, settings)
    lines = [
        HEADER,
        "12166,7,1,250.5,ONT,145123456,Trần Văn Hiệp,,1970,,",
        f"12166,7,2,300,LUC,{personal_id(2, female=True, year=1975)},Lê Thị Hoa,02/03/1975,,,",
        "12166,7,3,120,ONT,,John Smith,,1980,passport,AB123456",
        f"12166,7,4,500,SKC,{tax_code(4)},Công ty TNHH An Phát,,,,",
        "12166,7,5,120,ONT,12345,Nguyễn Văn An,,,,",
        "12166,7,6,120,ONT,,Đỗ Thị Bình,05/06/1981,1982,,",
        "12166,7,7,120,ONT,,Vũ Văn Cường,,,cmnd,14512",
    ]
    source = tmp_path / "so_dia_chinh.csv"
    source.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    mapping = tmp_path / "so_dia_chinh.mapping.json"
    mapping.write_text(json.dumps(MAPPING, ensure_ascii=False), encoding="utf-8")
    run = run_cli(
        settings, "ingest", str(source), "--standard", "land_parcel", "--system", SYSTEM,
        "--mapping", str(mapping), "--json",
    )  # fmt: skip
    assert run.returncode == 3, run.stderr  # some rows quarantined
    batch = json.loads(run.stdout)
    assert (batch["rows_loaded"], batch["rows_quarantined"]) == (4, 3)
    stored = pl.concat(list(iter_frames(engine_or_session=engine, dataset="land_parcel")))
    held = stored.sort("parcel_number").select(
        "holder_id", "holder_birth_date", "holder_birth_year", "holder_document_number"
    )
    assert held.rows() == [
        ("145123456", None, 1970, None),
        (personal_id(2, female=True, year=1975), date(1975, 3, 2), None, None),
        (None, None, 1980, "AB123456"),
        (tax_code(4), None, None, None),
    ]
    with transaction(engine) as session:
        entries, _ = list_quarantine(session=session, batch_id=batch["id"], page=a_page())
        found = {(e.row, f["field"], f["code"]) for e in entries for f in e.findings}
    assert found == {
        (5, "holder_id", "invalid-tax-code"),
        (6, "holder_birth_year", "year-mismatch"),
        (7, "holder_document_number", "invalid-cmnd"),
    }
