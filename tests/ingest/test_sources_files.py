"""XLSX, JSON Lines and Parquet sources, and format detection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lienthong.ingest.sources import open_source
from lienthong.ingest.sources.errors import EmptyFile, TruncatedFile, UnsupportedFormat


def _xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Số CCCD", "Họ và tên", "Ngày sinh", "Ngày nhập", "Điểm"])
    sheet.append(["033090001234", "Nguyễn Văn Hùng", dt.date(1990, 5, 17), 45292, 7.5])
    sheet.append(["034185002345", "Trần Thị Bích", "17/05/1985", None, 8])
    sheet.append([None, None, None, None, None])
    sheet.append(["033200003456", None, dt.datetime(2000, 1, 2, 8, 30), None, None])
    other = book.create_sheet("Khác")
    other.append(["x"])
    other.append(["1"])
    book.save(path)
    return path


def _rows(source: object) -> pl.DataFrame:
    return pl.concat(list(source.chunks()))  # type: ignore[attr-defined]


def test_xlsx_first_sheet_as_text(tmp_path: Path) -> None:
    source = open_source(_xlsx(tmp_path / "a.xlsx"))
    assert source.format == "xlsx"
    assert source.columns == ["Số CCCD", "Họ và tên", "Ngày sinh", "Ngày nhập", "Điểm"]
    frame = _rows(source)
    assert frame.rows() == [
        (1, "033090001234", "Nguyễn Văn Hùng", "1990-05-17", "45292", "7.5"),
        (2, "034185002345", "Trần Thị Bích", "17/05/1985", None, "8"),
        (3, None, None, None, None, None),
        (4, "033200003456", None, "2000-01-02T08:30:00", None, None),
    ]
    assert frame.schema["_row"] == pl.Int64


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    source = open_source(_xlsx(tmp_path / "a.xlsx"), sheet="Khác")
    assert _rows(source).rows() == [(1, "1")]


def test_truncated_xlsx_is_fatal(tmp_path: Path) -> None:
    data = _xlsx(tmp_path / "a.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(TruncatedFile) as caught:
        open_source(cut)
    assert caught.value.code == "truncated-file" and caught.value.status == 422


def test_jsonl_malformed_line_becomes_an_error_row(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"ho_ten": "Nguyễn Văn Hùng", "tuoi": 34, "co": true}\n'
        '{"ho_ten": "Trần Thị\n'
        "\n"
        "[1, 2]\n"
        '{"ho_ten": "", "tuoi": null, "them": {"a": 1}}\n',
        "utf-8",
    )
    source = open_source(path)
    assert source.format == "jsonl"
    assert source.columns == ["ho_ten", "tuoi", "co", "them"]
    frame = _rows(source)
    assert frame["_row"].to_list() == [1, 2, 4, 5]
    assert frame.row(0) == (1, "Nguyễn Văn Hùng", "34", "true", None, None, None)
    assert frame["_source"].to_list() == [None, '{"ho_ten": "Trần Thị', "[1, 2]", None]
    assert frame["_error"][0] is None
    assert frame["_error"][1].startswith("not valid JSON")
    assert "not an object" in frame["_error"][2]
    assert frame.row(3)[1:5] == (None, None, None, '{"a": 1}')


def test_parquet_batches(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    table = pa.table(
        {
            "ma": ["01", "02", None],
            "so": [1, 2, 3],
            "ngay": [dt.date(2024, 1, 1), None, dt.date(2025, 7, 1)],
        }
    )
    pq.write_table(table, path, row_group_size=2)
    source = open_source(path, chunk_rows=2)
    assert source.format == "parquet" and source.columns == ["ma", "so", "ngay"]
    chunks = list(source.chunks())
    assert [c.height for c in chunks] == [2, 1]
    assert pl.concat(chunks).rows() == [
        (1, "01", "1", "2024-01-01"),
        (2, "02", "2", None),
        (3, None, "3", "2025-07-01"),
    ]


def test_parquet_without_footer_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"a": list(range(100))}), path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(TruncatedFile):
        open_source(path)


def test_format_from_magic_bytes_beats_extension(tmp_path: Path) -> None:
    data = _xlsx(tmp_path / "a.xlsx").read_bytes()
    disguised = tmp_path / "export.dat"
    disguised.write_bytes(data)
    assert open_source(disguised).format == "xlsx"


def test_unsupported_and_empty(tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(UnsupportedFormat) as caught:
        open_source(old)
    assert caught.value.code == "unsupported-format"
    with pytest.raises(UnsupportedFormat):
        open_source(tmp_path / "old.xls", format="dbf")
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(EmptyFile):
        open_source(empty)
