"""Writing sector files: CSV (UTF-8 or a legacy encoding), JSON Lines, XLSX; byte-stable.

Every writer produces the same bytes for the same rows: no timestamps, fixed zip entry dates.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl

from lienthong.sample.truth import SourceFile
from lienthong.spreadsheet import safe_cell, safe_frame

# Vietnamese tone marks: Windows-1258 writes them as combining characters after the letter.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_FIXED = datetime(2025, 7, 1)
_ZIP_TIME = (2025, 7, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _cp1258_form(char: str) -> str:
    """One NFC character as Windows-1258 writes it: the base letter (with circumflex, breve or
    horn precomposed) followed by its tone mark as a combining character."""
    decomposed = unicodedata.normalize("NFD", char)
    tones = "".join(c for c in decomposed if c in TONE_MARKS)
    if not tones:
        return char
    base = "".join(c for c in decomposed if c not in TONE_MARKS)
    return unicodedata.normalize("NFC", base) + tones


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text as Windows-1258 (a translation table over the distinct characters:
    no Python work per character of the text)."""
    text = unicodedata.normalize("NFC", text)
    table = {ord(c): _cp1258_form(c) for c in set(text) if not c.isascii()}
    return text.translate(table).encode("cp1258")


def _frame(file: SourceFile) -> pl.DataFrame:
    return pl.DataFrame(
        {name: pl.Series(name, values, dtype=pl.Utf8) for name, values in file.columns.items()}
    )


def write_csv(file: SourceFile, path: Path) -> None:
    """UTF-8 CSV, header of standard field names; a missing value is an empty cell."""
    safe_frame(_frame(file)).write_csv(path, line_terminator="\n")


def write_legacy_csv(file: SourceFile, path: Path, headers: dict[str, str]) -> None:
    """A CSV in Windows-1258 with the given (Vietnamese) column headers, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = list(file.columns)
    writer.writerow([headers[n] for n in names])
    columns = [file.columns[n] for n in names]
    for row in zip(*columns, strict=True):
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    path.write_bytes(to_cp1258(buffer.getvalue()))


def write_jsonl(file: SourceFile, path: Path) -> None:
    """One JSON object per line, keys in field order; a missing value is ``null``."""
    _frame(file).write_ndjson(path)


def _cell(name: str, value: Any, date_fields: set[str], bool_fields: set[str]) -> Any:
    if value is None:
        return None
    if name in date_fields and len(value) == 10 and value[4] == "-":
        return date.fromisoformat(value)
    if name in bool_fields:
        return value == "true"
    return safe_cell(value)


def write_xlsx(
    file: SourceFile, path: Path, *, date_fields: set[str], bool_fields: set[str]
) -> None:
    """A one-sheet workbook; dates as date cells, booleans as boolean cells, the rest text."""
    workbook = openpyxl.Workbook(write_only=True)
    workbook.properties.created = _FIXED
    workbook.properties.modified = _FIXED
    sheet = workbook.create_sheet("Data")
    names = list(file.columns)
    sheet.append(names)
    columns = [file.columns[n] for n in names]
    for row in zip(*columns, strict=True):
        sheet.append(
            [_cell(n, v, date_fields, bool_fields) for n, v in zip(names, row, strict=True)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    _stable_zip(buffer.getvalue(), path)


def _stable_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry dates so that the same content gives the same bytes."""
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                # The writer stamps the save time as "modified"; pin it to the snapshot's date.
                content = _MODIFIED.sub(rb"\g<1>2025-07-01T00:00:00Z\g<2>", content)
            target.writestr(entry, content)


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
