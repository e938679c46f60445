"""The leaders' overview: what the domains measure, as tables. Each table is shown as a chart
(ECharts reads the table in the browser), as the table itself (without JavaScript, and for
screen readers) and as a CSV download.

Figures come from the domains' own reports: the registry's connection report, the audit log's
exchange volume, ingest's quality by sector, linkage's coverage.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lienthong.audit.volume import exchange_volume
from lienthong.ingest.quality import quality_by_sector
from lienthong.linkage.coverage import coverage
from lienthong.registry.report import CENTRAL, OTHER_VERSION, connection_report

VOLUME_DAYS = 30
Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One figure: ``name`` is its anchor and CSV file name, ``chart`` how the browser draws
    it (``bar`` or ``line``), ``series`` the columns drawn against the first one."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: str = "bar"
    series: list[int] = field(default_factory=lambda: [1])


def _name(key: str, _: Callable[[str], str]) -> str:
    """Labels the data gives as keys, said in the page's language."""
    known = {
        "central": _("Central"),
        "province": _("Province"),
        "district": _("District"),
        "commune": _("Commune"),
        CENTRAL: _("Central"),
        OTHER_VERSION: _("Another code-list version"),
        "": _("No sector"),
        "person": _("Persons"),
        "business": _("Businesses"),
    }
    return known.get(key, key)


Say = Callable[[str], str]


def _connections(session: Session, _today: date, _: Say) -> list[Table]:
    report = connection_report(session=session)
    connected = [_("Organisations"), _("Connected"), _("% connected")]
    return [
        Table(
            "connected-by-level",
            _("Connected organisations by level"),
            [_("Level"), *connected],
            [[_name(r.key, _), r.organisations, r.connected, r.percent] for r in report.by_level],
            series=[1, 2],
        ),
        Table(
            "connected-by-unit",
            _("Connected organisations by province or city"),
            [_("Unit"), *connected],
            [
                [
                    _name(r.key, _) if r.key == r.name else r.name,
                    r.organisations,
                    r.connected,
                    r.percent,
                ]
                for r in report.by_unit
            ],
            series=[1, 2],
        ),
    ]


def _exchange(session: Session, today: date, _: Say) -> list[Table]:
    volume = exchange_volume(session=session, until=today, days=VOLUME_DAYS)
    return [
        Table(
            "exchange-per-day",
            _("Data requests answered per day (last 30 days)"),
            [_("Day"), _("Requests")],
            [[d.isoformat(), n] for d, n in volume.per_day.items()],
            chart="line",
        ),
        Table(
            "exchange-per-dataset",
            _("Data requests answered per dataset (last 30 days)"),
            [_("Dataset"), _("Requests"), _("Records released")],
            [
                [name, n, volume.records_per_dataset.get(name, 0)]
                for name, n in volume.per_dataset.items()
            ],
            series=[1, 2],
        ),
    ]


def _quality(session: Session, _today: date, _: Say) -> list[Table]:
    return [
        Table(
            "quality-by-sector",
            _("Data quality by sector"),
            [_("Sector"), _("Rows received"), _("Rows valid"), _("% valid"), _("Open quarantine")],
            [
                [_name(q.sector, _), q.rows_read, q.rows_valid, q.valid_percent, q.open_quarantine]
                for q in quality_by_sector(session=session)
            ],
            series=[3, 4],
        )
    ]


def _linkage(session: Session, _today: date, _: Say) -> list[Table]:
    return [
        Table(
            "linkage-coverage",
            _("Linkage coverage"),
            [
                _("Dataset"),
                _("Kind"),
                _("Records linked"),
                _("Shared with another dataset"),
                _("% shared"),
            ],
            [
                [c.dataset, _name(c.kind, _), c.linked, c.shared, c.shared_percent]
                for c in coverage(session=session).datasets
            ],
            series=[2, 3],
        )
    ]


# Each source of figures, with the figures it gives (a CSV download reads only its own source).
SOURCES: tuple[tuple[Callable[[Session, date, Say], list[Table]], tuple[str, ...]], ...] = (
    (_connections, ("connected-by-level", "connected-by-unit")),
    (_exchange, ("exchange-per-day", "exchange-per-dataset")),
    (_quality, ("quality-by-sector",)),
    (_linkage, ("linkage-coverage",)),
)
FIGURES = tuple(name for _source, names in SOURCES for name in names)


def tables(*, session: Session, today: date, _: Say, only: str | None = None) -> list[Table]:
    """Every figure, or only the one named ``only`` (none when it names no figure)."""
    found = [
        table
        for source, names in SOURCES
        if only is None or only in names
        for table in source(session, today, _)
    ]
    return [t for t in found if only is None or t.name == only]


def as_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the Vietnamese right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(["" if cell is None else cell for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def summary(*, tables_: list[Table]) -> dict[str, Any]:
    """The headline figures above the charts."""
    by_name = {t.name: t for t in tables_}
    level = by_name["connected-by-level"].rows
    orgs = sum(int(r[1] or 0) for r in level)
    conn = sum(int(r[2] or 0) for r in level)
    day = by_name["exchange-per-day"].rows
    return {
        "organisations": orgs,
        "connected": conn,
        "requests": sum(int(r[1] or 0) for r in day),
    }
