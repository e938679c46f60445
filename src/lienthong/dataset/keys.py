"""A record key: a record's primary-key values as one text, the name the platform gives it.

Typed key values are written as text (``true``/``false`` for booleans, ISO dates) and joined
with ``~``; a single-field key is the value itself. Ingest, the store, linkage and the
exchange compose and read keys only through this module, so a key written by one is found
by the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import String, case, cast, literal

KEY_SEPARATOR = "~"


def key_text(value: Any) -> str:
    """One key value as text, written as Polars writes the typed column (see :func:`key_expr`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def compose_key(values: Sequence[Any]) -> str:
    """The key of these primary-key values, in key order."""
    return KEY_SEPARATOR.join(key_text(v) for v in values)


def record_key(values: Mapping[Any, Any], key_fields: Sequence[str] | None = None) -> str:
    """The key of a record's values (``key_fields`` in key order; by default every value)."""
    fields = list(key_fields) if key_fields is not None else list(values)
    return compose_key([values[f] for f in fields])


def key_expr(columns: Sequence[pl.Expr]) -> pl.Expr:
    """The key as a column expression over the typed key columns (null if any is missing)."""
    parts = [c.cast(pl.Utf8) for c in columns]
    return parts[0] if len(parts) == 1 else pl.concat_str(parts, separator=KEY_SEPARATOR)


def split_key(key: str, width: int) -> list[str] | None:
    """The key's value texts, one per key field; None when ``key`` has not ``width`` parts."""
    parts = key.split(KEY_SEPARATOR) if width > 1 else [key]
    return parts if len(parts) == width else None


def key_sql(columns: Sequence[Any], types: Sequence[str]) -> Any:
    """The key as a SQL expression over the key columns of a store table (``types``: the
    standard's field types), written as :func:`key_text` writes each value, on every engine."""
    parts: list[Any] = []
    for column, kind in zip(columns, types, strict=True):
        if kind == "string":
            parts.append(column)
        elif kind == "boolean":
            parts.append(case((column, literal("true")), else_=literal("false")))
        else:  # integers and ISO dates: both engines cast them as Polars writes them
            parts.append(cast(column, String))
    out = parts[0]
    for part in parts[1:]:
        out = out + literal(KEY_SEPARATOR) + part
    return out
