"""Values declared by the responsible department, with evidence (a document reference)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.dti.models import Declaration
from lienthong.dti.schemas import DeclarationCreate, DeclarationRead
from lienthong.dti.sets import get_set
from lienthong.errors import ValidationFailed
from lienthong.registry.models import Organisation
from lienthong.registry.organisations import find_organisation


def department(*, session: Session, code: str, field: str = "organisation") -> Organisation:
    org = find_organisation(session=session, code=code)
    if org is None:
        raise ValidationFailed.on(field, "unknown-organisation", f"no organisation {code!r}")
    return org


def declare(
    *,
    session: Session,
    settings: Settings,
    data: DeclarationCreate,
    actor: Mapping[str, Any] | None = None,
) -> Declaration:
    """Record a declared value (audited, in the caller's transaction)."""
    indicator_set = get_set(session=session, set_id=data.set)
    node = indicator_set.node(data.indicator)
    if node is None or node.components:
        raise ValidationFailed.on(
            "indicator",
            "unknown-indicator",
            f"{data.indicator!r} is not an indicator of {data.set} that takes a value",
        )
    org = department(session=session, code=data.organisation)
    value = Decimal(str(data.value))  # the shortest text of the float: 0.8253, not 0.82529…
    row = Declaration(
        set_id=data.set,
        year=data.year,
        indicator=data.indicator,
        value=str(value),
        organisation_id=org.id,
        evidence=data.evidence.strip(),
        note=data.note,
    )
    session.add(row)
    session.flush()
    record_change(
        session=session,
        settings=settings,
        action="dti.declare",
        target={
            "set": data.set,
            "year": data.year,
            "indicator": data.indicator,
            "organisation": org.code,
            "declaration": row.id,
        },
        changed=["value", "evidence"],
        actor=actor,
    )
    return row


def to_read(row: Declaration) -> DeclarationRead:
    return DeclarationRead(
        id=row.id,
        set=row.set_id,
        year=row.year,
        indicator=row.indicator,
        value=float(row.value),
        organisation=row.organisation.code,
        evidence=row.evidence,
        note=row.note,
        declared_at=row.declared_at,
    )


def declarations(*, session: Session, set_id: str, year: int) -> list[Declaration]:
    """Every declaration of the year, oldest first."""
    stmt = (
        select(Declaration)
        .where(Declaration.set_id == set_id, Declaration.year == year)
        .order_by(Declaration.id)
    )
    return list(session.scalars(stmt))


def latest(*, session: Session, set_id: str, year: int) -> dict[str, Declaration]:
    """The value in force per indicator: its latest declaration."""
    return {d.indicator: d for d in declarations(session=session, set_id=set_id, year=year)}


def value_of(row: Declaration) -> Decimal:
    return Decimal(row.value)
