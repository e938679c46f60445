"""The scorecard and plan progress as files for leaders: XLSX (openpyxl) and PDF (fpdf2).

The PDF embeds Be Vietnam Pro (vendored with its licence in ``dti/fonts``), so Vietnamese
renders without any font installed on the machine or downloaded at run time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from importlib import resources
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.styles import Font

from lienthong.dti.schemas import Overview
from lienthong.spreadsheet import safe_cell

FONT = "BeVietnamPro"
SOURCE_LABELS = {
    "facts": "dữ liệu nền tảng (platform facts)",
    "declared": "kê khai (declared)",
    "components": "chỉ số thành phần (components)",
    "missing": "chưa có (missing)",
}


def _number(value: float | None) -> float | str:
    return "" if value is None else value


def _sheets(overview: Overview) -> list[tuple[str, list[str], list[list[Any]]]]:
    card = overview.scorecard
    indicators = [
        [
            ("  " * line.depth) + line.name_vi,
            line.name_en,
            line.key,
            int(line.weight) if line.weight.is_integer() else line.weight,
            _number(line.value),
            SOURCE_LABELS[str(line.source)],
            line.evidence or "",
            line.organisation or "",
        ]
        for line in card.lines
    ]
    facts = [
        [
            f.name_vi,
            f.name_en,
            f.key,
            f.numerator if f.kind == "count" else _number(f.value),
            f.source,
        ]
        for f in card.facts
    ]
    departments = [
        [d.organisation, d.organisation_name, d.plans, d.targets, d.achieved, d.on_track, d.late]
        for d in overview.departments
    ]
    late = [
        [t.title, t.year, t.due.isoformat(), t.target, _number(t.actual)]
        for t in overview.late_targets
    ]
    return [
        (
            "Chỉ số (indicators)",
            ["Chỉ số", "Indicator", "Key", "Trọng số", "Giá trị", "Nguồn", "Minh chứng", "Cơ quan"],
            indicators,
        ),
        ("Dữ liệu nền tảng", ["Chỉ tiêu", "Fact", "Key", "Giá trị", "Nguồn"], facts),
        (
            "Sở ngành (departments)",
            ["Mã", "Cơ quan", "Kế hoạch", "Chỉ tiêu", "Đạt", "Đúng tiến độ", "Chậm"],
            departments,
        ),
        ("Chỉ tiêu chậm (late)", ["Chỉ tiêu", "Năm", "Hạn", "Mục tiêu", "Thực tế"], late),
    ]


def _title(overview: Overview) -> str:
    card = overview.scorecard
    index = f"{card.index:.4f}" if card.index is not None else "chưa đủ số liệu (incomplete)"
    return f"{card.title_vi} — {card.set} — năm {overview.year}: DTI = {index}"


def scorecard_xlsx(overview: Overview) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, header, rows in _sheets(overview):
        sheet = book.create_sheet(name[:31])
        sheet.append([safe_cell(_title(overview))])
        sheet.append([safe_cell(h) for h in header])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _font_path(style: str) -> str:
    return str(resources.files("lienthong.dti").joinpath("fonts", f"BeVietnamPro-{style}.ttf"))


def _table(pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    pdf.set_font(FONT, size=8)
    with pdf.table(text_align="LEFT") as table:
        for row in [header, *rows]:
            cells = table.row()
            for value in row:
                cells.cell(f"{value:.4f}" if isinstance(value, float) else str(value))
    pdf.ln(4)


def scorecard_pdf(overview: Overview) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font(FONT, "", _font_path("Regular"))
    pdf.add_font(FONT, "B", _font_path("Bold"))
    pdf.set_title(f"DTI {overview.scorecard.set} {overview.year}")
    pdf.add_page()
    pdf.set_font(FONT, "B", 13)
    pdf.multi_cell(0, 7, _title(overview), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for name, header, rows in _sheets(overview):
        if not rows:
            continue
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, name, new_x="LMARGIN", new_y="NEXT")
        _table(pdf, header, rows)
    return bytes(pdf.output())
