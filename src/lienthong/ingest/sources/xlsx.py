"""Excel workbooks (.xlsx) through fastexcel (calamine): fast, and a cut zip is reported.

Every cell is read as text as Excel stored it: numbers in their shortest form (``1.5``,
``45292``), date cells as ISO ``yyyy-mm-dd`` (``yyyy-mm-ddThh:mm:ss`` when they carry a time).
A number that is really a date typed as a serial stays a number; the mapping's
``excel-serial`` date format converts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fastexcel
import polars as pl

from lienthong.ingest.sources.base import (
    ROW,
    Source,
    clean_header,
    normalise_values,
    with_row_numbers,
)
from lienthong.ingest.sources.errors import EmptyFile, TruncatedFile, UnreadableFile

_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"
_DATETIME = r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})"


_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_END = b"PK\x05\x06"  # a zip's end-of-central-directory record, within its last 64 KiB
_ZIP_TAIL = (1 << 16) + 22


def _zip_is_complete(path: Path) -> bool:
    """Whether the file ends with a whole end record (22 bytes and its comment)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(size - _ZIP_TAIL, 0))
        tail = handle.read()
    at = tail.rfind(_ZIP_END)
    if at < 0 or len(tail) - at < 22:
        return False
    return at + 22 + int.from_bytes(tail[at + 20 : at + 22], "little") == len(tail)


def _what(name: str) -> tuple[str, str]:
    """How to name the file in a message, saying it is a workbook when its name does not."""
    if Path(name).suffix.lower() in _XLSX_SUFFIXES:
        return f"tệp {name}", name
    return (
        f"tệp {name} (thực chất là bảng tính Excel .xlsx)",
        f"{name} (an Excel .xlsx workbook, whatever its name)",
    )


def _load(path: Path, sheet: str | int, name: str) -> pl.DataFrame:
    vi, en = _what(name)
    if not _zip_is_complete(path):
        raise TruncatedFile(
            f"{vi} bị cắt cụt, không trọn vẹn / {en} is cut short: the zip has no end record"
        )
    try:
        # calamine tells the format by the extension: a workbook named otherwise goes as bytes.
        named = path.suffix.lower() in _XLSX_SUFFIXES
        reader = fastexcel.read_excel(path if named else path.read_bytes())
        # skip_rows=0 keeps the empty rows above the header: row numbers stay the sheet's.
        loaded = reader.load_sheet(sheet, header_row=None, dtypes="string", skip_rows=0)
        return loaded.to_polars()
    except fastexcel.FastExcelError as exc:
        text = str(exc)
        first = text.splitlines()[0] if text else type(exc).__name__
        if any(s in text for s in ("EOCD", "Zip error", "unexpected end", "Invalid Zip")):
            raise TruncatedFile(
                f"{vi} bị cắt cụt hoặc không phải bảng tính trọn vẹn / "
                f"{en} is cut short or not a complete workbook: {first}"
            ) from exc
        if "not found" in text.lower() or "out of range" in text.lower():
            raise UnreadableFile(
                f"{vi} không có trang tính {sheet!r} / no sheet {sheet!r} in {en}", where="sheet"
            ) from exc
        raise UnreadableFile(f"không đọc được {vi} / cannot read {en}: {first}") from exc


def open_xlsx(path: Path, *, sheet: str | int = 0, chunk_rows: int, name: str) -> Source:
    if path.stat().st_size == 0:
        raise EmptyFile(f"tệp {name} trống / {name} is empty")
    raw = _load(path, sheet, name)
    used = raw.select(pl.any_horizontal(pl.all().is_not_null())).to_series().arg_true()
    if len(used) == 0:
        raise EmptyFile(f"tệp {name} không có dòng tiêu đề / {name} has no header row")
    top = int(used[0])  # the header: the first row with a value (sheet row top + 1)
    header = clean_header([v or "" for v in raw.row(top)])
    body = raw.slice(top + 1).rename(dict(zip(raw.columns, header, strict=True)))
    body = body.with_columns(
        pl.col(header).str.replace(_MIDNIGHT, "$1").str.replace(_DATETIME, "${1}T${2}")
    )
    body = normalise_values(with_row_numbers(body, 1), header)
    # Trailing rows with no value at all are formatting left-overs, not records.
    filled = body.select(pl.any_horizontal(pl.col(header).is_not_null())).to_series()
    filled_at = filled.arg_true()  # ascending
    body = body.slice(0, int(filled_at[-1]) + 1 if len(filled_at) else 0)

    def reader() -> Iterator[pl.DataFrame]:
        for start in range(0, body.height, chunk_rows):
            yield body.slice(start, chunk_rows).select(ROW, *header)

    return Source(
        format="xlsx",
        columns=header,
        reader=reader,
        sheet_row_offset=top + 1,
        rows=body.height,
    )
