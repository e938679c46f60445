"""Reading back what ``lienthong sample`` wrote, as lists of dicts keyed by standard field."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl

from lienthong.sample.mappings import LAND_HEADERS


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Data rows of a sample file in source order (row 1 = first data row)."""
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).active
        assert sheet is not None
        values = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in values[0]]
        return [dict(zip(header, row, strict=True)) for row in values[1:]]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = unicodedata.normalize("NFC", raw.decode("cp1258"))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    fields = {header: field for field, header in LAND_HEADERS.items()}
    return [{fields.get(k, k): (v or None) for k, v in row.items()} for row in rows]


def truth_of(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "truth.json").read_text("utf-8"))
    return document
