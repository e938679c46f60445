"""Linkage request and response models."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from lienthong.linkage.models import Model, Review


class RecordRef(BaseModel):
    dataset: str
    key: str


class ReviewRead(BaseModel):
    id: int
    kind: str
    status: str
    left: RecordRef
    right: RecordRef
    match_weight: float
    evidence: dict[str, Any]
    decided_by: str | None
    note: str | None

    @classmethod
    def of(cls, item: Review) -> ReviewRead:
        return cls(
            id=item.id,
            kind=item.kind,
            status=item.status,
            left=RecordRef(dataset=item.left_dataset, key=item.left_key),
            right=RecordRef(dataset=item.right_dataset, key=item.right_key),
            match_weight=item.match_weight,
            evidence=json.loads(item.evidence) if item.evidence else {},
            decided_by=item.decided_by,
            note=item.note,
        )


class ReviewDecision(BaseModel):
    note: str | None = Field(default=None, max_length=500)


class ModelRead(BaseModel):
    """A trained model version; ``summary`` says how far each m and u moved from the declared
    prior and which levels were trained."""

    id: int
    kind: str
    active: bool
    in_use: bool
    trained_by: str
    trained_at: datetime
    records: int
    summary: dict[str, Any]

    @classmethod
    def of(cls, item: Model) -> ModelRead:
        return cls(
            id=item.id,
            kind=item.kind,
            active=item.active,
            in_use=item.in_use,
            trained_by=item.trained_by,
            trained_at=item.trained_at,
            records=item.records,
            summary=json.loads(item.summary),
        )
