"""Data quality by sector: the share of rows that passed the checks and the open quarantine,
for the batches of each sector's organisations (a batch's source system is ``ORG/SYSTEM``;
the organisation's ``sector`` in the registry names the sector)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.ingest.models import Batch, QuarantineRow
from lienthong.registry.models import Organisation

UNASSIGNED = ""  # organisations without a sector, and sources that name no organisation


@dataclass(frozen=True)
class SectorQuality:
    sector: str
    rows_read: int
    rows_valid: int
    open_quarantine: int

    @property
    def valid_percent(self) -> float | None:
        return round(100.0 * self.rows_valid / self.rows_read, 2) if self.rows_read else None


def quality_by_sector(*, session: Session) -> list[SectorQuality]:
    """Per sector, over first runs (a replay re-counts rows already counted): rows read and
    valid, and the quarantine entries still open; sorted by sector."""
    rows = session.execute(
        select(Batch.source_system, func.sum(Batch.rows_read), func.sum(Batch.rows_loaded))
        .where(Batch.replay_of.is_(None))
        .group_by(Batch.source_system)
    ).all()
    open_rows = session.execute(
        select(Batch.source_system, func.count(QuarantineRow.id))
        .join(Batch, Batch.id == QuarantineRow.batch_id)
        .where(QuarantineRow.status == "open")
        .group_by(Batch.source_system)
    ).all()
    sources = {source for source, *_ in rows} | {source for source, _ in open_rows}
    orgs = {source.split("/", 1)[0] for source in sources if "/" in source}
    found = select(Organisation.code, Organisation.sector).where(Organisation.code.in_(orgs))
    sectors = {code: sector for code, sector in session.execute(found)}

    def sector_of(source: str) -> str:
        return sectors.get(source.split("/", 1)[0]) or UNASSIGNED

    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for source, read, valid in rows:
        totals[sector_of(source)][0] += int(read or 0)
        totals[sector_of(source)][1] += int(valid or 0)
    for source, count in open_rows:
        totals[sector_of(source)][2] += int(count)
    return [SectorQuality(sector, *numbers) for sector, numbers in sorted(totals.items())]
