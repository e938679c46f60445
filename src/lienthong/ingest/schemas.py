"""Ingest response and request models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

from lienthong.bounds import Id
from lienthong.ingest import outcome as said


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


class IngestSummary(BaseModel):
    """What reading, mapping and validating an input found. A check answers with it (nothing
    written); every batch's ``report`` is one (``rows_valid`` loaded, ``rows_invalid``
    quarantined)."""

    standard: str
    standard_version: int
    source_name: str
    format: str
    encoding: str | None = None
    rows_read: int
    rows_valid: int
    rows_invalid: int
    rows_already_open: int = Field(
        0,
        description="A batch: invalid rows whose quarantine entry was open already (the same "
        "row sent before, by the same system to the same standard version): counted among "
        "rows_invalid, no second entry made",
    )
    source_columns: dict[str, str] = Field(
        default_factory=dict,
        description="A batch: field → the source column header it is read from (as findings "
        "name it in `column`)",
    )
    file_findings: list[dict[str, Any]] = Field(default_factory=list)
    finding_counts: dict[str, int] = Field(default_factory=dict, description="Rows per code:field")
    examples: list[dict[str, Any]] = Field(
        default_factory=list, description="The first findings, in row order"
    )
    rows_total: int | None = Field(
        None, description="A batch: the rows its input holds, when known before reading (XLSX)"
    )
    seconds: float | None = Field(None, description="Time taken (a batch's: once it has ended)")
    rows_per_s: int | None = None
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds per stage (an ingest: waiting_for_validation, load)",
    )


class BatchReport(BatchRead):
    """A batch with its summary, and what a run keeps between its chunks and its pulls."""

    report: IngestSummary = Field(validation_alias="summary")
    resumed_from_chunk: int
    error: str | None
    error_code: str | None = Field(
        description="A failed batch: the code of its failure (`failed`: an unexpected one)"
    )
    since: str | None = Field(description="A pull: the watermark it started after")
    watermark: str | None = Field(description="A pull: its watermark column")
    watermark_max: str | None = Field(description="A pull: the watermark it reached")

    @computed_field(  # type: ignore[prop-decorator]
        description="loaded (every row), partly-quarantined or nothing-loaded"
    )
    @property
    def outcome(self) -> str:
        return said.outcome(**self._counts())

    @computed_field(  # type: ignore[prop-decorator]
        description="The outcome in a sentence, Vietnamese first"
    )
    @property
    def message(self) -> str:
        return said.message(**self._counts(), already_open=self.report.rows_already_open)

    def _counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
        }


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
