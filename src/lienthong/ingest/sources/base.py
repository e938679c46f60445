"""The Source every reader returns, and the normalisation all readers share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from lienthong.findings import Finding
from lienthong.text import nfc

ROW = "_row"
RAGGED = "_ragged"
ERROR = "_error"
MARKERS = (ROW, RAGGED, ERROR)


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

    def chunks(self) -> Iterator[pl.DataFrame]:
        return self.reader()


def clean_header(names: list[str]) -> list[str]:
    """NFC and stripped; blank names become ``column_N``, repeats get ``_2``, ``_3``…"""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = nfc(str(raw) if raw is not None else "").strip().lstrip("\ufeff").strip()
        name = name or f"column_{i}"
        base, n = name, 1
        while name in seen or name in MARKERS:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        out.append(name)
    return out


# Only text holding combining marks (or the few singletons NFC maps) differs from its NFC form;
# testing for them first is ten times cheaper than normalising every value.
_NOT_NFC = "[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u2126\u212a\u212b]"


def normalise_values(
    frame: pl.DataFrame, columns: list[str], *, composed: bool = False
) -> pl.DataFrame:
    """Cast to Utf8, NFC-normalise, and turn empty strings into nulls, column by column.

    ``composed``: the caller already knows no value needs NFC (the whole source was tested)."""
    exprs = []
    for name in columns:
        col = pl.col(name).cast(pl.Utf8)
        if composed:
            exprs.append(pl.when(col == "").then(None).otherwise(col).alias(name))
            continue
        exprs.append(
            pl.when(col == "")
            .then(None)
            .when(col.str.contains(_NOT_NFC))
            .then(col.str.normalize("NFC"))
            .otherwise(col)
            .alias(name)
        )
    return frame.with_columns(exprs)


def with_row_numbers(frame: pl.DataFrame, start: int) -> pl.DataFrame:
    """Add ``_row`` = start, start+1, … as the first column."""
    return frame.with_row_index(ROW, offset=start).with_columns(pl.col(ROW).cast(pl.Int64))
