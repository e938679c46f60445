"""Dataset owners: which organisation owns a dataset, and whether its grants need a second
approver (four eyes). Set by the platform operator; every change audited."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.registry.models import DatasetOwner, Organisation
from lienthong.registry.organisations import get_organisation

# Fields whose disclosure needs four eyes unless the owner says otherwise: personal and
# document identifiers, phone numbers; and every field of a health dataset.
SENSITIVE_FIELDS = frozenset(
    {
        "personal_id",
        "representative_id",
        "holder_id",
        "id_document_number",
        "holder_document_number",
        "phone",
        "card_number",
    }
)
HEALTH_DATASETS = frozenset({"health_insurance"})


def find_owner(*, session: Session, dataset: str) -> DatasetOwner | None:
    return session.get(DatasetOwner, dataset)


def owned_by(organisations: Collection[str]) -> Select[str]:
    """The datasets these organisations own, as a subquery."""
    return (
        select(DatasetOwner.dataset)
        .join(Organisation, Organisation.id == DatasetOwner.organisation_id)
        .where(Organisation.code.in_(sorted(organisations)))
    )


def set_owner(
    *,
    session: Session,
    settings: Settings,
    dataset: str,
    organisation: str,
    four_eyes: bool | None,
    actor: dict[str, Any],
) -> DatasetOwner:
    org = get_organisation(session=session, code=organisation)
    owner = session.get(DatasetOwner, dataset)
    if owner is None:
        owner = DatasetOwner(dataset=dataset, organisation_id=org.id, four_eyes=four_eyes)
        session.add(owner)
    else:
        owner.organisation_id, owner.four_eyes = org.id, four_eyes
    session.flush()
    session.refresh(owner)
    record_change(
        session=session,
        settings=settings,
        action="dataset.owner",
        target={"dataset": dataset, "organisation": org.code, "four_eyes": four_eyes},
        actor=actor,
    )
    return owner


def is_sensitive(dataset: str, fields: list[str]) -> bool:
    return dataset in HEALTH_DATASETS or any(f in SENSITIVE_FIELDS for f in fields)


def approvals_needed(owner: DatasetOwner, dataset: str, fields: list[str]) -> int:
    """Two (four eyes) when the owner asks for it, or by default for sensitive fields."""
    four_eyes = owner.four_eyes if owner.four_eyes is not None else is_sensitive(dataset, fields)
    return 2 if four_eyes else 1
