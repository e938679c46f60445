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
