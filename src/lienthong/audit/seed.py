"""Create the audit chain's head row (seq 0, genesis hash) when it is missing, and the months'
partitions ahead (PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lienthong.audit.chain import ensure_head
from lienthong.audit.partitions import ensure_partitions
from lienthong.db import utcnow


def ensure_audit_head(session: Session) -> None:
    """The head row, and on PostgreSQL this month's and the next two months' partitions."""
    ensure_head(session.connection())
    ensure_partitions(session.connection(), utcnow().date())
