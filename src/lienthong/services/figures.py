"""Shares leaders ask for, read from the store tables of the public-service standards.

``public_service`` is the catalogue (one row per procedure and agency, with its online level:
``full`` = *toàn trình*, ``partial`` = *một phần*, ``none``); ``public_service_monthly`` holds
applications per procedure, agency and month. Both arrive through ingest like any sector data.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.errors import ValidationFailed
from lienthong.registry.models import Organisation
from lienthong.services.schemas import CatalogueReport, CatalogueRow, MonthlyReport, MonthlyRow
from lienthong.store.service import iter_frames

CATALOGUE = "public_service"
MONTHLY = "public_service_monthly"
PROVINCE = "*"
COUNTS = ("received_total", "received_online", "processed_on_time", "paid_online")


def _frame(session: Session, dataset: str, columns: list[str]) -> pl.DataFrame | None:
    frames = [f.select(columns) for f in iter_frames(engine_or_session=session, dataset=dataset)]
    return pl.concat(frames) if frames else None


def _names(session: Session, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    stmt = select(Organisation.code, Organisation.name).where(Organisation.code.in_(codes))
    return {code: name for code, name in session.execute(stmt)}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _catalogue_row(
    agency: str, name: str | None, full: int, partial: int, none: int
) -> CatalogueRow:
    total = full + partial + none
    return CatalogueRow(
        agency=agency,
        agency_name=name,
        procedures=total,
        full_online=full,
        partial_online=partial,
        not_online=none,
        full_online_share=_share(full, total),
        online_share=_share(full + partial, total),
    )


def catalogue(*, session: Session, agency: str | None = None) -> CatalogueReport:
    """Procedures per agency by online level, and the province's total."""
    frame = _frame(session, CATALOGUE, ["agency", "online"])
    rows: list[CatalogueRow] = []
    if frame is not None:
        if agency is not None:
            frame = frame.filter(pl.col("agency") == agency)
        counts = (
            frame.group_by("agency")
            .agg(
                full=(pl.col("online") == "full").sum(),
                partial=(pl.col("online") == "partial").sum(),
                none=(pl.col("online") == "none").sum(),
            )
            .sort("agency")
        )
        names = _names(session, counts["agency"].to_list())
        rows = [
            _catalogue_row(r["agency"], names.get(r["agency"]), r["full"], r["partial"], r["none"])
            for r in counts.iter_rows(named=True)
        ]
    total = _catalogue_row(
        PROVINCE,
        None,
        sum(r.full_online for r in rows),
        sum(r.partial_online for r in rows),
        sum(r.not_online for r in rows),
    )
    return CatalogueReport(total=total, by_agency=rows)


def check_month(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    year, _, month = value.partition("-")
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValidationFailed.on(field, "invalid-month", f"{value!r} is not a month (YYYY-MM)")
    return f"{year}-{int(month):02d}"


def _monthly_rows(frame: pl.DataFrame, names: dict[str, str]) -> list[MonthlyRow]:
    return [
        MonthlyRow(
            agency=r["agency"],
            agency_name=names.get(r["agency"]),
            month=r["month"],
            received_total=r["received_total"],
            received_online=r["received_online"],
            processed_on_time=r["processed_on_time"],
            paid_online=r["paid_online"],
            online_share=_share(r["received_online"], r["received_total"]),
            on_time_share=_share(r["processed_on_time"], r["received_total"]),
            paid_online_share=_share(r["paid_online"], r["received_total"]),
        )
        for r in frame.iter_rows(named=True)
    ]


def monthly(
    *,
    session: Session,
    agency: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> MonthlyReport:
    """Applications per agency and month, and the province's per month (``since``/``until``:
    YYYY-MM, inclusive). Shares are of the applications received."""
    since, until = check_month(since, "since"), check_month(until, "until")
    frame = _frame(session, MONTHLY, ["agency", "month", *COUNTS])
    if frame is None:
        return MonthlyReport(province=[], by_agency=[])
    if agency is not None:
        frame = frame.filter(pl.col("agency") == agency)
    if since is not None:
        frame = frame.filter(pl.col("month") >= since)
    if until is not None:
        frame = frame.filter(pl.col("month") <= until)
    frame = frame.with_columns(pl.col(c).fill_null(0) for c in COUNTS)
    sums = [pl.col(c).sum() for c in COUNTS]
    by_agency = frame.group_by("agency", "month").agg(sums).sort("agency", "month")
    province = frame.group_by("month").agg(sums).with_columns(agency=pl.lit(PROVINCE)).sort("month")
    names = _names(session, by_agency["agency"].unique().to_list())
    return MonthlyReport(
        province=_monthly_rows(province, {}), by_agency=_monthly_rows(by_agency, names)
    )
