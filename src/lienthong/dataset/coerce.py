"""A field's typed value from text: the one reading of Table Schema types.

Ingest reads whole columns with :func:`typed_expr`; a key or filter given to the store or the
exchange is read with :func:`parse_value`. Both accept the same texts, so a value that would
not load cannot match either (a filter ``active=yes`` is an error, not ``false``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from lienthong.bounds import fits_bigint

TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.Utf8(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
}


def typed_expr(kind: str, text: pl.Expr) -> pl.Expr:
    """``text`` read as ``kind``; null where it is not one (the caller reports it)."""
    if kind == "integer":
        return text.cast(pl.Int64, strict=False)
    if kind == "number":
        return text.cast(pl.Float64, strict=False)
    if kind == "boolean":
        return (
            pl.when(text.is_in(TRUE_VALUES))
            .then(True)
            .when(text.is_in(FALSE_VALUES))
            .then(False)
            .otherwise(None)
        )
    if kind == "date":
        return text.str.to_date("%Y-%m-%d", strict=False)
    return text


def _plain_digits(text: str) -> bool:
    # Python's int() and float() also take white space, "_" separators and non-ASCII digits,
    # which the column read refuses.
    return text.isascii() and "_" not in text and not any(c.isspace() for c in text)


def parse_value(kind: str, text: str) -> Any:
    """A field's value from text (a key or a filter); ValueError when it cannot be one.

    Integers outside a signed 64-bit column cannot be stored, so they cannot match either.
    """
    if kind == "integer":
        number = int(text) if _plain_digits(text) else None
        if number is None or not fits_bigint(number):
            raise ValueError(f"{text!r} is not an integer in range")
        return number
    if kind == "number":
        if not _plain_digits(text):
            raise ValueError(f"{text!r} is not a number")
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "boolean":
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValueError(f"{text!r} is not a boolean")
    return text
