"""A batch's rejected rows as a workbook the clerk fixes in Excel, and that workbook read back
as replay fixes.

The workbook holds the batch's open quarantine under the clerk's own column headers, each
value as it was received (as text: a personal ID keeps its leading zeros), and a comment on
each bad cell naming the problem in Vietnamese. Its first column is the quarantine entry's id
(the clerk leaves it alone), its second the row in the original file. Read back
(:func:`fixes_from_workbook`), the changed cells become the fixes of
:func:`lienthong.ingest.replay.replay`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.errors import ValidationFailed
from lienthong.events import event
from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.ingest.replay import Fixes
from lienthong.ingest.sources.xlsx import open_xlsx
from lienthong.spreadsheet import safe_cell

ID_HEADER = "Mã dòng cách ly (không sửa)"
ROW_HEADER = "Dòng trong tệp gốc"
SHEET = "Dòng bị từ chối"
MAX_ROWS = 100_000  # a workbook a clerk can open; the rest stays in the console and the API
TEXT = "@"  # Excel's text format: values stay as typed
COMMENT_AUTHOR = "Lienthong"
NOT_OURS = "not-a-rejected-workbook"


def headers_of(batch: Batch, rows: Iterable[QuarantineRow] = ()) -> dict[str, str]:
    """Field → the clerk's column header: the file's columns, then any field a rejected row
    holds a value in or a finding names that the file did not (named as the standard names
    it)."""
    headers = dict((batch.report or {}).get("source_columns") or {})
    for r in rows:
        for name, value in r.values.items():
            if value is not None and not name.startswith("_"):
                headers.setdefault(name, name)
        for f in r.findings:
            for name in _fields(f):
                headers.setdefault(name, f.get("column") or name)
    return headers


def _fields(finding: dict[str, Any]) -> list[str]:
    """The fields a finding is about (``a,b``: a key of two fields)."""
    name = finding.get("field")
    if not name or finding.get("code") == "unmapped-column":
        return []
    return [p for p in str(name).split(",") if p]


def open_rows(session: Session, batch_id: str) -> list[QuarantineRow]:
    return list(
        session.scalars(
            select(QuarantineRow)
            .where(QuarantineRow.batch_id == batch_id, QuarantineRow.status == "open")
            .order_by(QuarantineRow.row)
            .limit(MAX_ROWS)
        )
    )


def _comment(findings: list[dict[str, Any]]) -> Comment:
    text = "\n".join(f"{f.get('message') or f.get('code')} [{f.get('code')}]" for f in findings)
    comment = Comment(text, COMMENT_AUTHOR)
    comment.width, comment.height = 320, 40 + 20 * max(1, text.count("\n") + 1) * 2
    return comment


def _cells(sheet: Any, values: Iterable[Any], bold: bool = False) -> Iterator[WriteOnlyCell]:
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = TEXT
        if bold:
            cell.font = Font(bold=True)
        yield cell


def rejected_workbook(
    *,
    session: Session,
    settings: Settings,
    batch: Batch,
    actor: dict[str, Any],
) -> tuple[bytes, int]:
    """The workbook (XLSX bytes) of the batch's open quarantine and how many rows it holds;
    the export is audited (``ingest.rejected-export``) in the caller's transaction.

    The caller has checked that whoever asks may see the batch
    (:func:`lienthong.ingest.service.get_batch`)."""
    rows = open_rows(session, batch.id)
    headers = headers_of(batch, rows)
    fields = list(headers)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.freeze_panes = "C2"
    sheet.append(list(_cells(sheet, [ID_HEADER, ROW_HEADER, *headers.values()], bold=True)))
    offset = batch.sheet_row_offset or 0
    for r in rows:
        by_field: dict[str, list[dict[str, Any]]] = {}
        whole_row: list[dict[str, Any]] = []
        for f in r.findings:
            named = [n for n in _fields(f) if n in headers]
            for name in named:
                by_field.setdefault(name, []).append(f)
            if not named:
                whole_row.append(f)
        values = [str(r.id), r.row + offset, *(safe_cell(r.values.get(name)) for name in fields)]
        cells = list(_cells(sheet, values))
        if whole_row:
            cells[0].comment = _comment(whole_row)
        for at, name in enumerate(fields, start=2):
            if name in by_field:
                cells[at].comment = _comment(by_field[name])
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    record(
        session=session,
        settings=settings,
        entry=event(
            "ingest.rejected-export",
            actor=actor,
            batch=batch.id,
            dataset=batch.standard,
            rows=len(rows),
        ),
    )
    return out.getvalue(), len(rows)


def fixes_from_workbook(
    *, session: Session, batch: Batch, path: Path, name: str = "upload.xlsx"
) -> Fixes:
    """The corrections in a re-uploaded rejected-rows workbook: for each open quarantine entry
    it names (by its id in the first column), the cells that differ from what the entry holds,
    found under the clerk's headers. A workbook without the id column, with another header or
    naming an entry that is not open in this batch is refused whole (``not-a-rejected-
    workbook``): nothing is replayed."""
    rows = {r.id: r for r in open_rows(session, batch.id)}
    headers = headers_of(batch, rows.values())
    by_header = {header: name for name, header in headers.items()}
    source = open_xlsx(path, chunk_rows=10_000, name=name)
    if ID_HEADER not in source.columns:
        raise ValidationFailed.on(
            "file", NOT_OURS, f"tệp không có cột {ID_HEADER!r} / the file has no row-id column"
        )
    unknown = [c for c in source.columns if c not in by_header and c not in (ID_HEADER, ROW_HEADER)]
    if unknown:
        raise ValidationFailed.on(
            "file", NOT_OURS, f"cột lạ / columns not in this batch's rejected rows: {unknown}"
        )
    fixes: dict[int, dict[str, str | None]] = {}
    for chunk in source.reader():
        for line in chunk.iter_rows(named=True):
            text = (line.get(ID_HEADER) or "").strip()
            if not text:
                continue
            entry = rows.get(int(text)) if text.isdigit() else None
            if entry is None:
                raise ValidationFailed.on(
                    "file",
                    NOT_OURS,
                    f"dòng cách ly {text!r} không còn mở trong lô này / "
                    f"row {text!r} is not open in this batch",
                )
            changed = {
                by_header[column]: value
                for column, value in line.items()
                if column in by_header and value != safe_cell(entry.values.get(by_header[column]))
            }
            if changed:
                fixes[entry.id] = changed
    return fixes
