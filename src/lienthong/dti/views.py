"""DTI routes: indicator sets, scoring and ranking, the climb optimiser, facts, declarations,
the scorecard and its exports, department plans and the overview.

Reads and pure computations over a posted table (score, climb) are open; loading a set,
declaring a value and managing plans need the operator token and are audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status
from sqlalchemy.orm import Session

from lienthong.bounds import Id
from lienthong.dti import declarations, export, plans, sets
from lienthong.dti.facts import platform_facts
from lienthong.dti.optimise import climb
from lienthong.dti.schemas import (
    ClimbOut,
    ClimbRequest,
    DeclarationCreate,
    DeclarationRead,
    FactOut,
    Overview,
    PlanCreate,
    PlanRead,
    ProgressReport,
    Scorecard,
    ScoreRequest,
    ScoreRow,
    SetRead,
    TargetCreate,
    TargetRead,
)
from lienthong.dti.scorecard import fact_out, scorecard
from lienthong.dti.scoring import score_table
from lienthong.dti.tables import improvements, province_values
from lienthong.errors import ValidationFailed
from lienthong.http.callers import permit
from lienthong.http.deps import SessionDep
from lienthong.http.permissions import Permission as P
from lienthong.paging import Page

router = APIRouter(prefix="/dti", tags=["dti"])
SetId = Annotated[str, Query(alias="set", description="Indicator set id, e.g. 922-2022")]
YearQ = Annotated[int, Query(ge=2000, le=2100)]
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@router.get("/sets", response_model=Page[SetRead])
def list_sets(session: SessionDep) -> Page[SetRead]:
    """Every loaded indicator set (a short list: one page)."""
    return Page(items=[sets.set_read(r) for r in sets.list_sets(session=session)])


@router.get("/sets/{set_id}", response_model=SetRead)
def get_set(session: SessionDep, set_id: str) -> SetRead:
    return sets.set_read(sets.get_set_row(session=session, set_id=set_id))


@router.post(
    "/sets",
    response_model=SetRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.dti_manage)],
)
def load_set(request: Request, session: SessionDep, body: dict[str, Any] = Body()) -> SetRead:
    """Load a later indicator set (its JSON document); a loaded set never changes."""
    loaded = sets.load_set(session=session, settings=request.app.state.settings, document=body)
    return sets.set_read(sets.get_set_row(session=session, set_id=loaded.id))


def _scores(session: Session, body: ScoreRequest) -> list[ScoreRow]:
    indicator_set = sets.get_set(session=session, set_id=body.set)
    rows = province_values(indicator_set, body.rows)
    return [
        ScoreRow(province=s.province, index=float(s.index), rank=s.rank)
        for s in score_table(indicator_set, rows)
    ]


@router.post("/score", response_model=list[ScoreRow])
def score(session: SessionDep, body: ScoreRequest) -> list[ScoreRow]:
    """Index (as published: rounded half-up) and rank (ties share) of every posted province."""
    return _scores(session, body)


@router.post("/climb", response_model=ClimbOut)
def climb_places(session: SessionDep, body: ClimbRequest) -> ClimbOut:
    """The least-cost declared improvements that lift ``province`` by ``places`` ranks."""
    indicator_set = sets.get_set(session=session, set_id=body.set)
    plan = climb(
        indicator_set=indicator_set,
        rows=province_values(indicator_set, body.rows),
        province=body.province,
        places=body.places,
        improvements=improvements(indicator_set, [i.model_dump() for i in body.improvements]),
    )
    return ClimbOut.model_validate(plan, from_attributes=True)


@router.get("/facts", response_model=list[FactOut], dependencies=[permit(P.reports_read)])
def facts(session: SessionDep, year: YearQ) -> list[FactOut]:
    """What the platform measures itself for the year."""
    return [fact_out(f) for f in platform_facts(session=session, year=year).values()]


@router.post(
    "/declarations",
    response_model=DeclarationRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.dti_manage)],
)
def declare(request: Request, session: SessionDep, body: DeclarationCreate) -> DeclarationRead:
    row = declarations.declare(session=session, settings=request.app.state.settings, data=body)
    return declarations.to_read(row)


@router.get(
    "/declarations", response_model=Page[DeclarationRead], dependencies=[permit(P.reports_read)]
)
def list_declarations(session: SessionDep, set_id: SetId, year: YearQ) -> Page[DeclarationRead]:
    """Every declaration of the year, oldest first (the latest per indicator is in force)."""
    sets.get_set(session=session, set_id=set_id)
    rows = declarations.declarations(session=session, set_id=set_id, year=year)
    return Page(items=[declarations.to_read(r) for r in rows])


@router.get("/scorecard", response_model=Scorecard, dependencies=[permit(P.reports_read)])
def get_scorecard(session: SessionDep, set_id: SetId, year: YearQ) -> Scorecard:
    return scorecard(session=session, set_id=set_id, year=year)


@router.get("/overview", response_model=Overview, dependencies=[permit(P.reports_read)])
def get_overview(session: SessionDep, set_id: SetId, year: YearQ) -> Overview:
    """The province's scorecard and each department's targets at a glance."""
    return plans.overview(session=session, set_id=set_id, year=year, today=date.today())


@router.get("/scorecard/export", response_class=Response, dependencies=[permit(P.reports_read)])
def export_scorecard(
    session: SessionDep,
    set_id: SetId,
    year: YearQ,
    file_format: Annotated[str, Query(alias="format", description="xlsx or pdf")] = "xlsx",
) -> Response:
    if file_format not in MEDIA:
        raise ValidationFailed.on("format", "unsupported-format", "format is xlsx or pdf")
    view = plans.overview(session=session, set_id=set_id, year=year, today=date.today())
    pdf = file_format == "pdf"
    body = export.scorecard_pdf(view) if pdf else export.scorecard_xlsx(view)
    name = f"dti-{set_id}-{year}.{file_format}"
    return Response(
        body,
        media_type=MEDIA[file_format],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/plans",
    response_model=PlanRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.dti_manage)],
)
def create_plan(request: Request, session: SessionDep, body: PlanCreate) -> PlanRead:
    plan = plans.create_plan(session=session, settings=request.app.state.settings, data=body)
    [read] = plans.plan_reads(session=session, today=date.today(), plan_id=plan.id)
    return read


@router.get("/plans", response_model=Page[PlanRead], dependencies=[permit(P.reports_read)])
def list_plans(session: SessionDep, organisation: str | None = None) -> Page[PlanRead]:
    """Plans with each target's progress (one department's with ``organisation``)."""
    found = plans.plan_reads(session=session, today=date.today(), organisation=organisation)
    return Page(items=found)


@router.get("/plans/{plan_id}", response_model=PlanRead, dependencies=[permit(P.reports_read)])
def get_plan(session: SessionDep, plan_id: Id) -> PlanRead:
    [read] = plans.plan_reads(session=session, today=date.today(), plan_id=plan_id)
    return read


@router.post(
    "/plans/{plan_id}/targets",
    response_model=TargetRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.dti_manage)],
)
def add_target(
    request: Request, session: SessionDep, plan_id: Id, body: TargetCreate
) -> TargetRead:
    target = plans.add_target(
        session=session, settings=request.app.state.settings, plan_id=plan_id, data=body
    )
    return plans.Measurer(session, date.today()).read(target)


@router.post(
    "/targets/{target_id}/progress", response_model=TargetRead, dependencies=[permit(P.dti_manage)]
)
def report_progress(
    request: Request, session: SessionDep, target_id: Id, body: ProgressReport
) -> TargetRead:
    """A department reports a target the platform cannot measure, with evidence."""
    target = plans.report_progress(
        session=session, settings=request.app.state.settings, target_id=target_id, data=body
    )
    return plans.Measurer(session, date.today()).read(target)
