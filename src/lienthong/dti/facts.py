"""Platform facts for one year: what the platform itself measures for the DTI.

Shares are 0..1 to 4 decimals (None when there is nothing to divide by). The registry and the
catalogue are read as they are now; applications, data requests and ingest batches are those
of the year asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lienthong.audit import chain
from lienthong.audit.service import READ_ACTIONS
from lienthong.dti.catalogue import FACTS, FactInfo
from lienthong.ingest.models import Batch
from lienthong.registry.report import connection_report
from lienthong.services import figures

FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class FactValue:
    info: FactInfo
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None


def share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(FOUR, rounding=ROUND_HALF_UP)


def _share(key: str, part: int, whole: int) -> FactValue:
    return FactValue(FACTS[key], share(part, whole), part, whole)


def data_reads(*, session: Session, year: int) -> int:
    """Answered data requests in the year, counted in the audit log.

    Entries are canonical JSON (keys sorted, no spaces), so the action and the year's
    timestamp are fixed substrings of the body."""
    body = chain.entries.c.body
    actions = [body.like(f'%"action":"{action}"%') for action in READ_ACTIONS]
    stmt = select(func.count()).where(or_(*actions), body.like(f'%"at":"{int(year):04d}-%'))
    return int(session.scalar(stmt) or 0)


def _ingest(session: Session, year: int) -> FactValue:
    stmt = select(func.sum(Batch.rows_loaded), func.sum(Batch.rows_read)).where(
        Batch.replay_of.is_(None),
        Batch.started_at >= datetime(year, 1, 1, tzinfo=UTC),
        Batch.started_at < datetime(year + 1, 1, 1, tzinfo=UTC),
    )
    loaded, read = session.execute(stmt).one()
    return _share("ingest.valid_row_share", int(loaded or 0), int(read or 0))


def platform_facts(*, session: Session, year: int) -> dict[str, FactValue]:
    """Every fact of the catalogue, measured now (registry, catalogue) or over ``year``."""
    connections = connection_report(session=session)
    procedures = figures.catalogue(session=session).total
    months = figures.monthly(session=session, since=f"{year:04d}-01", until=f"{year:04d}-12")
    total = sum(m.received_total for m in months.province)
    reads = data_reads(session=session, year=year)
    found = [
        _share("registry.connected_share", connections.connected, connections.organisations),
        _share("public_services.full_online_share", procedures.full_online, procedures.procedures),
        _share(
            "public_services.online_application_share",
            sum(m.received_online for m in months.province),
            total,
        ),
        _share(
            "public_services.on_time_share",
            sum(m.processed_on_time for m in months.province),
            total,
        ),
        _share(
            "public_services.online_payment_share",
            sum(m.paid_online for m in months.province),
            total,
        ),
        FactValue(FACTS["exchange.data_reads"], Decimal(reads), reads, None),
        _ingest(session, year),
    ]
    return {f.info.key: f for f in found}
