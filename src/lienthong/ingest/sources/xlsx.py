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


def _load(path: Path, sheet: str | int) -> pl.DataFrame:
    try:
        reader = fastexcel.read_excel(path)
        loaded = reader.load_sheet(sheet, header_row=None, dtypes="string")
        return loaded.to_polars()
    except fastexcel.FastExcelError as exc:
        text = str(exc)
        if any(s in text for s in ("EOCD", "Zip error", "unexpected end", "Invalid Zip")):
            raise TruncatedFile(
                f"{path.name} is cut short or not a complete workbook: {text.splitlines()[0]}"
            ) from exc
        if "not found" in text.lower() or "out of range" in text.lower():
            raise UnreadableFile(f"no sheet {sheet!r} in {path.name}", where="sheet") from exc
        raise UnreadableFile(f"cannot read {path.name}: {text.splitlines()[0]}") from exc


def open_xlsx(path: Path, *, sheet: str | int = 0, chunk_rows: int) -> Source:
    if path.stat().st_size == 0:
        raise EmptyFile(f"{path.name} is empty")
    raw = _load(path, sheet)
    if raw.height == 0:
        raise EmptyFile(f"{path.name} has no header row")
    header = clean_header([v or "" for v in raw.row(0)])
    body = raw.slice(1).rename(dict(zip(raw.columns, header, strict=True)))
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

    return Source(format="xlsx", columns=header, reader=reader)
