"""Findings: problems found in data, as data (row, field, code, message), never exceptions.

Row numbers are 1-based positions of the record in its source (for a CSV with a header, the
first data row is row 1). ``field`` is None for file-level findings. Codes are stable, declared
with their severity in lienthong/codes/findings.toml and documented in docs/findings.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

import polars as pl

from lienthong.codes import severity

FINDING_SCHEMA = {"row": pl.Int64, "field": pl.Utf8, "code": pl.Utf8, "message": pl.Utf8}

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


@dataclass(frozen=True)
class Finding:
    row: int | None
    field: str | None
    code: str
    message: str
    # "error" quarantines the row; "info"/"warning" do not. Declared with the code.
    severity: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", severity(self.code))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)
