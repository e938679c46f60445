"""From the store's records (standard field names) to the standardised frame of one kind."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from lienthong.linkage.features import standardise
from lienthong.linkage.spec import Source, load_sources

COMPANY_PREFIX = r"(?i)^\s*(công ty|cong ty|cty|hợp tác xã|hop tac xa|htx|doanh nghiệp|dntn)"


def _rows_for(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    id_field = source.fields.get("id")
    name_field = source.fields.get("name")
    if source.id_rule and id_field in frame.columns:
        ident = pl.col(id_field).cast(pl.Utf8).str.strip_chars()
        # A personal ID, an old 9-digit CMND or a Vietnamese passport number is a person's.
        is_pid = ident.str.contains(r"^(\d{12}|\d{9}|[A-Z]\d{7})$")
        looks_company = (
            pl.col(name_field).cast(pl.Utf8).str.contains(COMPANY_PREFIX).fill_null(False)
            if name_field in frame.columns
            else pl.lit(False)
        )
        unknown = ident.is_null() | (ident == "")
        if source.id_rule == "personal-id":
            keep = is_pid.fill_null(False) | (unknown & ~looks_company)
        else:
            keep = (~is_pid).fill_null(False) & ~unknown | (unknown & looks_company)
        frame = frame.filter(keep)
    elif id_field and source.fields.keys() == {"id"} and id_field in frame.columns:
        frame = frame.filter(pl.col(id_field).is_not_null())
    columns = [pl.lit(source.dataset).alias("dataset"), pl.col("_key").cast(pl.Utf8).alias("key")]
    for target, field in source.fields.items():
        if field in frame.columns:
            columns.append(pl.col(field).cast(pl.Utf8).alias(target))
    if "_updated_at" in frame.columns:
        columns.append(pl.col("_updated_at").cast(pl.Utf8).alias("updated_at"))
    return standardise(frame.select(columns))


def records_of(kind: str, frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Every record of ``kind`` across the datasets given, sorted by (dataset, key)."""
    parts = [
        _rows_for(frames[s.dataset], s)
        for s in load_sources()
        if s.kind == kind and s.dataset in frames and not frames[s.dataset].is_empty()
    ]
    if not parts:
        return standardise(pl.DataFrame({"dataset": [], "key": []}))
    return pl.concat(parts).unique(["dataset", "key"], keep="first").sort("dataset", "key")
