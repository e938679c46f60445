"""Survivorship: each master field takes the value of the highest-priority source that has one
(priorities declared per kind in ``data/sources.json``), then the most recently updated record."""

from __future__ import annotations

from typing import Any

import polars as pl

from lienthong.linkage.spec import survivorship

# Master field → standardised column it is read from.
COLUMN = {
    "personal_id": "id",
    "tax_code": "id",
    "full_name": "name",
    "name": "name",
    "sex": "sex",
    "date_of_birth": "date_of_birth",
    "commune_code": "commune_code",
}


def survive(kind: str, members: pl.DataFrame) -> list[tuple[str, dict[str, Any], int]]:
    """``members`` has ``master_id``, ``dataset``, ``key``, ``updated_at`` and the columns."""
    result = members.group_by("master_id").agg(pl.len().alias("_count"))
    for field, priority in survivorship()[kind].items():
        column = COLUMN[field]
        if kind == "person" and field == "personal_id":
            column = "trusted"  # only an identifier that agrees with the birth data survives
        rank = pl.col("dataset").replace_strict(
            {d: i for i, d in enumerate(priority)}, default=None, return_dtype=pl.Int32
        )
        best = (
            members.filter(pl.col(column).is_not_null())
            .with_columns(rank.alias("_rank"))
            .filter(pl.col("_rank").is_not_null())
            .sort(
                ["master_id", "_rank", "updated_at", "dataset", "key"],
                descending=[False, False, True, False, False],
                nulls_last=True,
            )
            .group_by("master_id", maintain_order=True)
            .agg(pl.col(column).first().alias(field))
        )
        result = result.join(best, on="master_id", how="left")
    fields = list(survivorship()[kind])
    return [
        (row["master_id"], {f: row[f] for f in fields}, row["_count"])
        for row in result.sort("master_id").iter_rows(named=True)
    ]
