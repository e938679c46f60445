"""The review queue: pairs in the uncertain band; an operator accepts or rejects them.

Decisions are kept across reruns: an accepted pair is always linked, a rejected pair never is
(not even through other records), until the next run that reads them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import NotFound, ValidationFailed
from lienthong.events import event
from lienthong.linkage.models import Review
from lienthong.paging import PageRequest, keyset_page

STATUSES = ("pending", "accepted", "rejected")
DECISIONS = ("accepted", "rejected")


def list_reviews(
    *,
    session: Session,
    status: str | None = "pending",
    kind: str | None = None,
    page: PageRequest,
) -> tuple[list[Review], str | None]:
    if status is not None and status not in STATUSES:
        raise ValidationFailed.on("status", "invalid-review-status", f"unknown status {status!r}")
    stmt = select(Review)
    if status is not None:
        stmt = stmt.where(Review.status == status)
    if kind is not None:
        stmt = stmt.where(Review.kind == kind)
    scope = ("linkage.reviews", status, kind)
    return keyset_page(session, stmt, keys=[Review.id], page=page, scope=scope)


def get_review(*, session: Session, review_id: int) -> Review:
    found = session.get(Review, review_id)
    if found is None:
        raise NotFound(f"no review item {review_id}", code="unknown-review")
    return found


def _check(decision: str) -> None:
    if decision not in DECISIONS:
        raise ValidationFailed.on(
            "decision", "invalid-decision", "decision must be accepted or rejected"
        )


def _audit(
    session: Session, settings: Settings | None, item: Review, actor: dict[str, Any] | None
) -> None:
    """The decision goes into the audit log in the same transaction (when settings are given)."""
    if settings is None:
        return
    entry = event(
        "linkage.review",
        actor=actor or {"kind": "operator"},
        review_id=item.id,
        kind=item.kind,
        decision=item.status,
        left=f"{item.left_dataset}/{item.left_key}",
        right=f"{item.right_dataset}/{item.right_key}",
    )
    record(session=session, settings=settings, entry=entry)


def decide(
    *,
    session: Session,
    review_id: int,
    decision: str,
    by: str = "operator",
    note: str | None = None,
    settings: Settings | None = None,
    actor: dict[str, Any] | None = None,
) -> Review:
    """Accept or reject a queued pair; takes effect at the next linking run. With
    ``settings`` the decision is audited (the CLI and the API always pass them)."""
    _check(decision)
    item = get_review(session=session, review_id=review_id)
    item.status, item.decided_by, item.note, item.decided_at = decision, by, note, utcnow()
    session.flush()
    _audit(session, settings, item, actor)
    return item


def add_decision(
    *,
    session: Session,
    kind: str,
    left: tuple[str, str],
    right: tuple[str, str],
    decision: str,
    by: str = "operator",
    note: str | None = None,
    settings: Settings | None = None,
) -> Review:
    """Decide about any pair of records, queued or not (e.g. to split a wrong master)."""
    _check(decision)
    left, right = sorted([left, right])
    item = session.scalar(
        select(Review).where(
            Review.kind == kind,
            Review.left_dataset == left[0],
            Review.left_key == left[1],
            Review.right_dataset == right[0],
            Review.right_key == right[1],
        )
    )
    if item is None:
        item = Review(
            kind=kind,
            left_dataset=left[0],
            left_key=left[1],
            right_dataset=right[0],
            right_key=right[1],
            match_weight=0.0,
            created_at=utcnow(),
        )
        session.add(item)
    item.status, item.decided_by, item.note, item.decided_at = decision, by, note, utcnow()
    session.flush()
    _audit(session, settings, item, None)
    return item
