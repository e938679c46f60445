"""Where a finding sits in the file as the clerk who made it sees it: the spreadsheet row
and the column header, beside the row number in the source and the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from lienthong.findings import quoted


@dataclass(frozen=True)
class Placed:
    """How a source's rows and columns are shown to the clerk who made the file: the sheet row
    is ``row + sheet_row_offset``; ``headers`` names columns the source renamed (a replay
    reads fields named as the standard names them: their headers in the original file)."""

    sheet_row_offset: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)

    def columns(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Field → source column header, from a chunk's field → column."""
        return {f: self.headers.get(c, c) for f, c in headers.items()}


def _column_of(name: str | None, headers: Mapping[str, str]) -> str | None:
    """The header(s) a finding's field was read from (``a,b``: a key of two fields)."""
    if name is None:
        return None
    if name in headers:
        return headers[name]
    parts = name.split(",")
    return ", ".join(headers[p] for p in parts) if all(p in headers for p in parts) else None


def located(findings: pl.DataFrame, headers: Mapping[str, str], placed: Placed) -> pl.DataFrame:
    """Findings as the clerk sees the file, in one place for every reader: ``sheet_row`` (the
    row a spreadsheet shows), ``column`` (the source header its field was read from; an
    ``unmapped-column`` finding's field is the column itself) and both messages opening with
    where: ``Dòng 12, cột "Họ và tên" (full_name): …`` / ``Row 12, column …``. Columnar:
    Python runs once per distinct field only."""
    headers = placed.columns(headers)
    fields = findings.get_column("field").unique().to_list()
    column = (
        pl.when(pl.col("code") == "unmapped-column")
        .then(pl.col("field"))
        .otherwise(
            pl.col("field").replace_strict(
                {f: _column_of(f, headers) for f in fields if f is not None},
                default=None,
                return_dtype=pl.Utf8,
            )
        )
    )
    out = findings.with_columns(
        (pl.col("row") + placed.sheet_row_offset).alias("sheet_row"), column.alias("column")
    )
    row, col, name = pl.col("sheet_row").cast(pl.Utf8), pl.col("column"), pl.col("field")
    shown = pl.concat_str(pl.lit('"'), quoted(col), pl.lit('"'))  # a header can be long too
    header = (
        pl.when(name != col)
        .then(pl.concat_str(shown, pl.lit(" ("), name, pl.lit(")")))
        .otherwise(shown)
    )

    def where(row_word: str, column_word: str, field_word: str) -> pl.Expr:
        cap = column_word.capitalize(), field_word.capitalize()
        return (
            pl.when(row.is_not_null() & col.is_not_null())
            .then(pl.concat_str(pl.lit(f"{row_word} "), row, pl.lit(f", {column_word} "), header))
            .when(row.is_not_null() & name.is_not_null())
            .then(pl.concat_str(pl.lit(f"{row_word} "), row, pl.lit(f", {field_word} "), name))
            .when(row.is_not_null())
            .then(pl.concat_str(pl.lit(f"{row_word} "), row))
            .when(col.is_not_null())
            .then(pl.concat_str(pl.lit(f"{cap[0]} "), header))
            .when(name.is_not_null())
            .then(pl.concat_str(pl.lit(f"{cap[1]} "), name))
        )

    def opened(message: str, at: pl.Expr) -> pl.Expr:
        text = pl.col(message)
        return pl.when(at.is_null()).then(text).otherwise(pl.concat_str(at, pl.lit(": "), text))

    return out.select(
        "row",
        "sheet_row",
        "field",
        "column",
        "code",
        "severity",
        opened("message", where("Dòng", "cột", "trường")).alias("message"),
        opened("message_en", where("Row", "column", "field")).alias("message_en"),
    )
