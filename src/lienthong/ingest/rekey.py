"""Re-keying pre-2025 commune codes to their 2025 successors (the ``rekey`` transform).

Commune codes are reused across versions (00097 is a 2025 ward and was never the same
pre-2025 unit). With a date field (``when``) the record's date decides which version a code
belongs to. Without one, a code that is a valid 2025 code is kept as it is and only the others
are read as pre-2025 codes: a file that mixes both, undated, keeps its 2025 codes. ``all``
declares the whole source pre-2025 (an old register): every code is re-keyed.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.codes import severity
from lienthong.findings import FINDING_SCHEMA, said
from lienthong.ingest.sources.base import ROW
from lienthong.registry.loader import V2025
from lienthong.registry.models import Unit, UnitSuccession

FINDINGS_SCHEMA = {**FINDING_SCHEMA, "severity": pl.Utf8}
SUCCESSION_SCHEMA = {"from_code": pl.Utf8, "to_code": pl.Utf8, "current": pl.Boolean}


class RekeyWhen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date_field: str
    before: date


class Rekey(BaseModel):
    from_: str = Field(alias="from")
    to: str
    when: RekeyWhen | None = None
    all: bool = False
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _versions(self) -> Rekey:
        if (self.from_, self.to) != ("pre2025", "2025"):
            raise ValueError("only re-keying from 'pre2025' to '2025' is supported")
        if self.all and self.when is not None:
            raise ValueError("'all' (every code is pre-2025) excludes 'when' (a date decides)")
        return self


def load_successions(session: Session) -> pl.DataFrame:
    """The registry's pre-2025 → 2025 succession edges as a (from_code, to_code, current)
    frame, plus one (code, null) row for every other unit code of either version: the codes
    re-keying knows; ``current`` is true for a code of the 2025 list. A code found in no row is
    an ``unknown-predecessor`` (a frame without null rows carries edges only, and then that
    check is skipped; one without ``current`` treats no code as a 2025 one)."""
    rows = session.execute(
        select(UnitSuccession.from_code, UnitSuccession.to_code).where(
            UnitSuccession.from_version == "pre2025", UnitSuccession.to_version == "2025"
        )
    ).all()
    current = set(session.scalars(select(Unit.code).where(Unit.version_id == V2025)))
    edges = pl.DataFrame(
        [(*r, r[0] in current) for r in rows], schema=SUCCESSION_SCHEMA, orient="row"
    )
    codes = session.scalars(select(Unit.code).distinct()).all()
    known = pl.DataFrame({"from_code": list(codes)}, schema={"from_code": pl.Utf8}).filter(
        ~pl.col("from_code").is_in(edges.get_column("from_code").implode())
    )
    return pl.concat(
        [
            edges,
            known.with_columns(
                pl.lit(None, pl.Utf8).alias("to_code"),
                pl.col("from_code").is_in(list(current)).alias("current"),
            ),
        ]
    )


def _findings(
    frame: pl.DataFrame, field: str, code: str, message: tuple[pl.Expr, pl.Expr]
) -> pl.DataFrame:
    return frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit(field, pl.Utf8).alias("field"),
        pl.lit(code, pl.Utf8).alias("code"),
        message[0].cast(pl.Utf8).alias("message"),
        message[1].cast(pl.Utf8).alias("message_en"),
        pl.lit(severity(code), pl.Utf8).alias("severity"),
    )


def _applies(frame: pl.DataFrame, rule: Rekey) -> pl.Expr:
    """Where a code is read as a pre-2025 one."""
    if rule.all:
        return pl.lit(True)
    if rule.when is None:
        return ~pl.col("_current").fill_null(False)
    if rule.when.date_field not in frame.columns:
        return pl.lit(False)
    iso = pl.col(rule.when.date_field).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    return (iso < pl.lit(rule.when.before)).fill_null(False)


def rekey(
    frame: pl.DataFrame, field: str, rule: Rekey, successions: pl.DataFrame
) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """``frame`` with ``field`` re-keyed, and the findings saying what was (not) re-keyed."""
    current = pl.col("current") if "current" in successions.columns else pl.lit(False)
    edges = successions.group_by("from_code").agg(
        pl.col("to_code").count().alias("_n"),
        pl.col("to_code").drop_nulls().sort().alias("_to"),
        current.any().alias("_current"),
    )
    lists_known = successions.get_column("to_code").null_count() > 0
    joined = frame.join(
        edges, left_on=field, right_on="from_code", how="left", maintain_order="left"
    ).with_columns(_applies(frame, rule).alias("_applies"))
    single = pl.col("_applies") & (pl.col("_n") == 1)
    several = pl.col("_applies") & (pl.col("_n") > 1)
    unknown = pl.col("_applies") & pl.col(field).is_not_null() & pl.col("_n").is_null()
    found = [
        _findings(
            joined.filter(single),
            field,
            "commune-rekeyed",
            said(
                "mã xã trước 2025 {} đã đổi thành ",
                "pre-2025 code {} re-keyed to ",
                pl.col(field),
                then=pl.col("_to").list.first(),
            ),
        ),
        _findings(
            joined.filter(several),
            field,
            "ambiguous-successor",
            said(
                "mã xã trước 2025 {} có nhiều xã kế thừa năm 2025: ",
                "pre-2025 code {} has several 2025 successors: ",
                pl.col(field),
                then=pl.col("_to").list.join(", "),
            ),
        ),
    ]
    if lists_known:
        found.append(
            _findings(
                joined.filter(unknown),
                field,
                "unknown-predecessor",
                said(
                    "mã xã {} không có trong danh mục trước 2025 lẫn năm 2025",
                    "commune code {} is in neither the pre-2025 nor the 2025 list",
                    pl.col(field),
                ),
            )
        )
    out = joined.with_columns(
        pl.when(single).then(pl.col("_to").list.first()).otherwise(pl.col(field)).alias(field)
    ).drop("_applies", "_n", "_to", "_current")
    return out, found
