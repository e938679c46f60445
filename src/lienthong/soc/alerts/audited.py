"""Who acted on an alert, a suppression window or a target, and the audit entry of it (in
the caller's transaction, atomic with the change)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.events import event


def by_whom(actor: dict[str, Any]) -> str:
    """Who acted, as the record keeps it: a person's name and id, or the operator."""
    if actor.get("kind") == "person":
        return f"{actor.get('name', '')} (person:{actor['person']})"[:200]
    if actor.get("via") == "cli":
        return f"operator (cli: {actor.get('user', 'unknown')})"[:200]
    return str(actor.get("kind", "unknown"))[:200]


def audited(
    session: Session, settings: Settings, action: str, actor: dict[str, Any], **detail: Any
) -> None:
    record(session=session, settings=settings, entry=event(action, actor=actor, detail=detail))
