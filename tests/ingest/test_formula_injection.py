"""Files the platform writes for people neutralise cells that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, tab, CR): the findings CSV quotes the sector's own values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import polars as pl
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.sample.truth import SourceFile
from lienthong.sample.writers import write_csv, write_legacy_csv, write_xlsx
from lienthong.spreadsheet import safe_cell, safe_frame
from tests.cli import run_cli
from tests.ingest.factories import CITIZEN_HEADER

DANGEROUS = ["=1+2", '=HYPERLINK("http://x")', "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
HARMLESS = ["-12.5", "+84912345678", "12", "Nguyễn", "", "a=b"]


def _is_formula(cell: str) -> bool:
    return bool(cell) and cell[0] in "=+-@\t\r" and safe_cell(cell) != cell


def test_text_cells_that_start_a_formula_are_neutralised_and_numbers_kept() -> None:
    for value in DANGEROUS:
        assert safe_cell(value) == "'" + value
    for value in HARMLESS:
        assert safe_cell(value) == value
    assert safe_cell(-3) == -3
    frame = safe_frame(pl.DataFrame({"v": DANGEROUS + HARMLESS, "n": range(13)}))
    assert frame["v"].to_list() == ["'" + v for v in DANGEROUS] + HARMLESS
    assert frame["n"].to_list() == list(range(13))


def test_the_findings_csv_quotes_hostile_values_as_text(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    source = tmp_path / "hostile.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CITIZEN_HEADER, "@evil"])
        writer.writerow(["=1+2", "Nguyễn Văn A", "-1", '=HYPERLINK("http://x")', "01",
                         "12166", "Số 1", "0912345678", "x"])  # fmt: skip
    out = tmp_path / "findings.csv"
    run = run_cli(settings, "ingest", "check", str(source), "--standard", "citizen",
                  "--findings-out", str(out))  # fmt: skip
    assert run.returncode == 2, run.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    cells = [cell for row in rows[1:] for cell in row]
    # A message opens with where the value sits, so the value no longer starts a cell.
    assert 'Row 2, column "personal_id": "=1+2" is not a valid personal ID' in cells
    assert "'@evil" in cells
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"], cells


def test_sample_files_are_neutralised_too(tmp_path: Path) -> None:
    file = SourceFile(
        name="x",
        standard="citizen",
        columns={"full_name": ["=1+2", "Lê Thị B"], "note": ["-12.5", "@x"]},
        entity=[None, None],
    )
    write_csv(file, tmp_path / "a.csv")
    write_legacy_csv(file, tmp_path / "b.csv", {"full_name": "Họ tên", "note": "Ghi chú"})
    write_xlsx(file, tmp_path / "c.xlsx", date_fields=set(), bool_fields=set())
    plain = (tmp_path / "a.csv").read_text(encoding="utf-8")
    legacy = (tmp_path / "b.csv").read_bytes().decode("cp1258")
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    assert sheet is not None
    workbook = [c for row in sheet.iter_rows(min_row=2, values_only=True) for c in row]
    for text in (plain, legacy):
        assert "'=1+2" in text and "'@x" in text and "-12.5" in text and "'-12.5" not in text
    assert workbook == ["'=1+2", "-12.5", "Lê Thị B", "'@x"]
