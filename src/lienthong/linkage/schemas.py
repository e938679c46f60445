"""Linkage request and response models."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from lienthong.linkage.models import Review


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
