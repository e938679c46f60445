"""Ingest response and request models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lienthong.bounds import Id


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    standard: str
    standard_version: int
    source_system: str
    source_name: str
    format: str
    checksum: str
    status: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    inserted: int
    updated: int
    unchanged: int
    replay_of: str | None
    started_at: datetime
    finished_at: datetime | None


class BatchReport(BatchRead):
    report: dict[str, Any]


class QuarantineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    batch_id: str
    row: int
    status: str
    values: dict[str, Any]
    findings: list[dict[str, Any]]
    replayed_batch_id: str | None


class ReplayFix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id = Field(description="Quarantine entry id")
    values: dict[str, str | None] = Field(description="Corrected field values")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fixes: list[ReplayFix] = Field(default_factory=list)


class CheckReport(BaseModel):
    """What checking a file found; nothing was written to the platform."""

    standard: str
    standard_version: int
    source_name: str
    format: str
    encoding: str | None
    rows_read: int
    rows_valid: int
    rows_invalid: int
    file_findings: list[dict[str, Any]]
    finding_counts: dict[str, int] = Field(description="Rows per code:field")
    examples: list[dict[str, Any]] = Field(description="The first findings, in row order")
    seconds: float
    rows_per_s: int | None
