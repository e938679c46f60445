"""The Source every reader returns, and the cleaning all readers share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from lienthong.findings import Finding
from lienthong.text import clean_names, clean_text

ROW = "_row"
RAGGED = "_ragged"
ERROR = "_error"
SOURCE = "_source"  # the source text of a row the reader could not split (kept with it)
MARKERS = (ROW, RAGGED, ERROR, SOURCE)


@dataclass
class Source:
    """A readable tabular source: its header, file-level findings and a stream of chunks.

    Every chunk has one Utf8 column per header name (NFC, empty strings as null) and ``_row``
    (Int64, 1-based record position); CSV chunks add ``_ragged`` and JSON Lines chunks ``_error``.
    """

    format: str
    columns: list[str]
    reader: Callable[[], Iterator[pl.DataFrame]]
    encoding: str | None = None
    findings: list[Finding] = field(default_factory=list)
    watermark_max: str | None = None
    # A record's row number as a spreadsheet shows the file: ``_row`` plus this (1 below a
    # CSV's header row; a workbook's header may sit lower; a JSON line's ``_row`` is its line).
    sheet_row_offset: int = 0
    # Column → its header in the clerk's file, for a source that renamed it (a replay).
    headers: dict[str, str] = field(default_factory=dict)
    rows: int | None = None  # the records it holds, when known before reading them (a workbook)

    def chunks(self) -> Iterator[pl.DataFrame]:
        return self.reader()


def clean_header(names: list[str]) -> list[str]:
    """Cleaned as values are; blank names become ``column_N``, repeats get ``_2``, ``_3``…"""
    out: list[str] = []
    seen: set[str] = set()
    for i, cleaned in enumerate(clean_names([str(n) if n is not None else None for n in names]), 1):
        name = cleaned or f"column_{i}"
        base, n = name, 1
        while name in seen or name in MARKERS:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        out.append(name)
    return out


def normalise_values(
    frame: pl.DataFrame, columns: list[str], *, composed: bool = False
) -> pl.DataFrame:
    """Every column cleaned as values are (:func:`lienthong.text.clean_text`), kept as written
    (not trimmed). ``composed``: the caller already knows no value needs NFC."""
    return frame.with_columns(
        clean_text(pl.col(name), trim=False, composed=composed).alias(name) for name in columns
    )


def with_row_numbers(frame: pl.DataFrame, start: int) -> pl.DataFrame:
    """Add ``_row`` = start, start+1, … as the first column."""
    return frame.with_row_index(ROW, offset=start).with_columns(pl.col(ROW).cast(pl.Int64))
