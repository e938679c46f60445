"""Cells the platform writes into CSV and spreadsheet files, made safe to open (CWE-1236).

A spreadsheet program runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: a value from a sector's file such as
``=HYPERLINK(...)`` would act when an official opens a findings report. Such a text cell gets
a leading apostrophe, which the program shows as text; a plain number (``-12.5``) is left as it
is. Every CSV or XLSX writer meant for people goes through ``safe_cell`` or ``safe_frame``;
files for machines (the PostgreSQL COPY stream, quarantined source lines) keep values intact.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$"
_STARTS = re.compile(FORMULA_START)
_IS_NUMBER = re.compile(_NUMBER)


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and _STARTS.match(value) and not _IS_NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell made safe (columnar: no Python loop per row)."""
    texts = [name for name, kind in frame.schema.items() if kind == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START) & ~pl.col(name).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )
