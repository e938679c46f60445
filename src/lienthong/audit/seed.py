"""Create the audit chain's head row (seq 0, genesis hash) when it is missing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lienthong.audit.chain import ensure_head


def ensure_audit_head(session: Session) -> None:
    ensure_head(session.connection())
