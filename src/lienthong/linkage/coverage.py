"""Linkage coverage: per kind (person, business) and dataset, how many stored records are
linked to a master record, and how many of those share their master with a record of another
dataset (the cross-sector view linkage exists for)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lienthong.linkage.models import Link, Master, Review


@dataclass(frozen=True)
class DatasetCoverage:
    kind: str
    dataset: str
    linked: int  # records with a master
    shared: int  # of which the master holds more than one record

    @property
    def shared_percent(self) -> float | None:
        return round(100.0 * self.shared / self.linked, 2) if self.linked else None


@dataclass(frozen=True)
class Coverage:
    datasets: list[DatasetCoverage]
    masters: dict[str, int]  # per kind
    pending_reviews: int


def coverage(*, session: Session) -> Coverage:
    shared = func.sum(case((Master.member_count > 1, 1), else_=0))
    rows = session.execute(
        select(Link.kind, Link.dataset, func.count(), shared)
        .join(Master, Master.id == Link.master_id)
        .group_by(Link.kind, Link.dataset)
        .order_by(Link.kind, Link.dataset)
    ).all()
    per_kind = select(Master.kind, func.count()).group_by(Master.kind)
    masters = {kind: int(n) for kind, n in session.execute(per_kind)}
    pending = session.scalar(
        select(func.count()).select_from(Review).where(Review.status == "pending")
    )
    return Coverage(
        datasets=[DatasetCoverage(k, d, int(n), int(s or 0)) for k, d, n, s in rows],
        masters=masters,
        pending_reviews=int(pending or 0),
    )
