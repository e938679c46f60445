"""Findings: problems found in data, as data (row, field, code, message), never exceptions.

Row numbers are 1-based positions of the record in its source (for a CSV with a header, the
first data row is row 1). ``field`` is None for file-level findings. Codes are stable, declared
with their severity in lienthong/codes/findings.toml and documented in docs/findings.md.
``message`` is Vietnamese, ``message_en`` the same in English. An ingest adds where a finding
sits as the clerk sees the file — ``sheet_row`` and the source ``column`` header — and says it
in both messages (:func:`lienthong.ingest.pipeline.located`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from lienthong.codes import severity

FINDING_SCHEMA = {
    "row": pl.Int64,
    "field": pl.Utf8,
    "code": pl.Utf8,
    "message": pl.Utf8,  # Vietnamese
    "message_en": pl.Utf8,
}

# A message quotes at most this many characters of a value: a 5 MB cell must not be copied into
# every report, findings CSV and quarantine entry (the quarantined row keeps it whole).
QUOTE_CHARS = 200


def quoted(value: pl.Expr) -> pl.Expr:
    """``value`` as a finding message quotes it: whole when short, else its first
    :data:`QUOTE_CHARS` characters and ``"… (N ký tự / characters)"``. Null stays null."""
    text = value.cast(pl.Utf8)
    length = text.str.len_chars()
    cut = pl.concat_str(
        text.str.slice(0, QUOTE_CHARS),
        pl.lit("… ("),
        length.cast(pl.Utf8),
        pl.lit(" ký tự / characters)"),
    )
    return pl.when(length > QUOTE_CHARS).then(cut).otherwise(text)


def said(
    vi: str, en: str, value: pl.Expr | None = None, *, then: pl.Expr | None = None
) -> tuple[pl.Expr, pl.Expr]:
    """A finding's (Vietnamese, English) messages: ``{}`` in each stands for ``value`` in
    quotes, capped by :func:`quoted`; ``then`` follows both."""
    if value is None:
        out = [pl.lit(vi), pl.lit(en)]
    else:
        shown = pl.concat_str(pl.lit('"'), quoted(value), pl.lit('"')).fill_null("")
        out = []
        for template in (vi, en):
            before, _, after = template.partition("{}")
            out.append(pl.concat_str(pl.lit(before), shown, pl.lit(after)))
    if then is not None:
        out = [pl.concat_str(m, then) for m in out]
    return out[0], out[1]


@dataclass(frozen=True)
class Finding:
    row: int | None
    field: str | None
    code: str
    message: str  # Vietnamese
    message_en: str = ""
    # "error" quarantines the row; "info"/"warning" do not. Declared with the code.
    severity: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", severity(self.code))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)
