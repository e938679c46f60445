"""DTI shapes for the API and the CLI. Index values are JSON numbers with the set's decimals."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lienthong.errors import ErrorDetail, ValidationFailed
from lienthong.registry.schemas import Strict

Year = Field(ge=2000, le=2100)
M = TypeVar("M", bound=BaseModel)


def build(cls: type[M], **values: Any) -> M:
    """A request model built from command-line options; its errors in the one error shape."""
    try:
        return cls(**values)
    except ValidationError as exc:
        details = [
            ErrorDetail(
                ".".join(str(p) for p in e["loc"]),
                e["type"].replace("_", "-"),
                e["msg"],
                parser=True,
            )
            for e in exc.errors()
        ]
        raise ValidationFailed("the options are not valid", details=details) from exc


class SetRead(BaseModel):
    id: str
    title: str
    decision: str | None
    builtin: bool
    loaded_at: datetime
    indicators: list[str]
    document: dict[str, Any]


class ScoreRequest(Strict):
    """Rows of ``province`` and one value (0..1) per main indicator of the set."""

    set: str = Field("922-2022", description="Indicator set id")
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class ScoreRow(BaseModel):
    province: str
    index: float
    rank: int


class ImprovementIn(Strict):
    indicator: str
    step: float = Field(gt=0, le=1)
    cost: float = Field(ge=0)
    ceiling: float = Field(ge=0, le=1)


class ClimbRequest(ScoreRequest):
    province: str = Field(min_length=1)
    places: int = Field(10, ge=1, le=200)
    improvements: list[ImprovementIn] = Field(min_length=1, max_length=200)


class IndicatorChangeOut(BaseModel):
    indicator: str
    name_vi: str
    name_en: str
    weight: float
    current: float
    proposed: float
    steps: int
    steps_available: int
    cost: float
    index_gain: float


class ClimbOut(BaseModel):
    province: str
    places: int
    current_index: float
    current_rank: int
    target_rank: int
    index_needed: float
    new_index: float
    new_rank: int
    total_cost: float
    changes: list[IndicatorChangeOut]
    overtaken: list[str]
    solver: str


class FactOut(BaseModel):
    key: str
    kind: str
    name_vi: str
    name_en: str
    source: str
    value: float | None
    numerator: int | None
    denominator: int | None


class DeclarationCreate(Strict):
    set: str = "922-2022"
    year: int = Year
    indicator: str
    value: float = Field(ge=0, le=1)
    organisation: str = Field(description="e-ID code of the responsible department")
    evidence: str = Field(min_length=1, max_length=500, description="Document reference")
    note: str | None = Field(None, max_length=1000)


class DeclarationRead(BaseModel):
    id: int
    set: str
    year: int
    indicator: str
    value: float
    organisation: str
    evidence: str
    note: str | None
    declared_at: datetime


class Source(StrEnum):
    facts = "facts"
    declared = "declared"
    components = "components"
    missing = "missing"


class ScorecardLine(BaseModel):
    key: str
    name_vi: str
    name_en: str
    depth: int
    weight: float
    group: str | None
    pillar: str | None
    value: float | None
    source: Source
    evidence: str | None = None
    organisation: str | None = None
    facts: dict[str, float | None] = Field(default_factory=dict)


class Scorecard(BaseModel):
    set: str
    title_vi: str
    title_en: str
    year: int
    index: float | None
    missing: list[str]
    lines: list[ScorecardLine]
    facts: list[FactOut]


class Measure(StrEnum):
    indicator = "indicator"
    fact = "fact"
    reported = "reported"


class PlanCreate(Strict):
    organisation: str = Field(description="e-ID code of the department")
    title: str = Field(min_length=1, max_length=300)
    phase_start: int = Year
    phase_end: int = Year


class TargetCreate(Strict):
    year: int = Year
    title: str = Field(min_length=1, max_length=300)
    measure: Measure
    key: str | None = Field(None, description="Indicator key or fact key; none when reported")
    set: str | None = Field(None, description="Indicator set, for an indicator target")
    target: float = Field(ge=0)
    due: date | None = Field(None, description="Default: 31 December of the year")


class ProgressReport(Strict):
    value: float = Field(ge=0)
    evidence: str = Field(min_length=1, max_length=500)


class TargetStatus(StrEnum):
    achieved = "achieved"
    on_track = "on-track"
    late = "late"
    no_data = "no-data"


class TargetRead(BaseModel):
    model_config = ConfigDict(use_enum_values=True)

    id: int
    year: int
    title: str
    measure: Measure
    key: str | None
    set: str | None
    target: float
    due: date
    actual: float | None
    evidence: str | None
    status: TargetStatus


class PlanRead(BaseModel):
    id: int
    organisation: str
    organisation_name: str
    title: str
    phase_start: int
    phase_end: int
    targets: list[TargetRead]


class DepartmentLine(BaseModel):
    organisation: str
    organisation_name: str
    plans: int
    targets: int
    achieved: int
    late: int
    on_track: int
    no_data: int


class Overview(BaseModel):
    """The province and each department at a glance."""

    year: int
    scorecard: Scorecard
    departments: list[DepartmentLine]
    late_targets: list[TargetRead]
