"""Retiring a standard version, as its consumers see it.

A retirement changes what grants serve, so it bumps the ``grants`` counter like a grant
decision: every process drops its cached grants (which carry the version's retirement day)
on its next request, and the ``Sunset`` header appears at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.exchange.grants import bump
from lienthong.standards import service as standards
from lienthong.standards.models import Standard


def retire_version(
    *,
    session: Session,
    settings: Settings,
    name: str,
    version: int,
    on: date,
    actor: Mapping[str, Any],
) -> Standard:
    """Announce ``version``'s retirement day (standards.service.retire), audited."""
    standard = standards.retire(
        session=session, settings=settings, name=name, version=version, on=on, actor=actor
    )
    bump(session)
    return standard
