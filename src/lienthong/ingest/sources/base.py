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


# Latin (and so Vietnamese) text differs from its NFC form only where it holds combining marks
# (U+0300–036F, U+1DC0–1DFF, U+20D0–20FF, U+FE20–FE2F) or a singleton NFC maps (Ω ohm, K kelvin,
# Å angstrom). Each begins with one of these UTF-8 byte sequences, so a text holding none of
# them is left as it is; a byte search for literals is far cheaper than normalising every value
# (or a regex class). Other characters sharing a prefix (variation selectors, …) are normalised.
_NOT_NFC_BYTES = (
    b"\xcc",  # U+0300–033F
    b"\xcd",  # U+0340–037F
    b"\xe1\xb7",  # U+1DC0–1DFF
    b"\xe2\x83",  # U+20C0–20FF
    b"\xef\xb8",  # U+FE00–FE3F
    b"\xe2\x84\xa6",  # Ω ohm sign
    b"\xe2\x84\xaa",  # K kelvin sign
    b"\xe2\x84\xab",  # Å angstrom sign
)


def may_need_nfc(text: pl.Expr) -> pl.Expr:
    """False where ``text`` certainly is NFC already (a byte search, no regex)."""
    raw = text.cast(pl.Binary)
    return pl.any_horizontal(raw.bin.contains(b) for b in _NOT_NFC_BYTES)


def normalise_values(
    frame: pl.DataFrame, columns: list[str], *, composed: bool = False
) -> pl.DataFrame:
    """Cast to Utf8, NFC-normalise, and turn empty strings into nulls, column by column.

    ``composed``: the caller already knows no value needs NFC (the whole source was tested)."""
    exprs = []
    for name in columns:
        col = pl.col(name).cast(pl.Utf8)
        if not composed:
            col = pl.when(may_need_nfc(col)).then(col.str.normalize("NFC")).otherwise(col)
        exprs.append(col.replace("", None).alias(name))
    return frame.with_columns(exprs)


def with_row_numbers(frame: pl.DataFrame, start: int) -> pl.DataFrame:
    """Add ``_row`` = start, start+1, … as the first column."""
    return frame.with_row_index(ROW, offset=start).with_columns(pl.col(ROW).cast(pl.Int64))
