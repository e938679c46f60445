"""The exchange's view of the store: which fields a dataset has (for grant requests)."""

from __future__ import annotations

from sqlalchemy.orm import Session


def known_fields(*, session: Session, dataset: str) -> list[str] | None:
    """Field names of the dataset; None while the store cannot tell (fields then go unchecked)."""
    del session, dataset
    return None
