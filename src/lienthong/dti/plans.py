"""Department plans (*kế hoạch chuyển đổi số*) by phase and year, targets and their progress.

A target is measured on an indicator (its scorecard value for the target's year), on a
platform fact (that year's value), or reported by the department with evidence. A target not
reached when its due date has passed is late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.dti.catalogue import FACTS
from lienthong.dti.declarations import department
from lienthong.dti.facts import FactValue, platform_facts
from lienthong.dti.models import Plan, Target
from lienthong.dti.schemas import (
    DepartmentLine,
    Measure,
    Overview,
    PlanCreate,
    PlanRead,
    ProgressReport,
    Scorecard,
    TargetCreate,
    TargetRead,
    TargetStatus,
)
from lienthong.dti.scorecard import scorecard
from lienthong.dti.sets import get_set
from lienthong.errors import Conflict, NotFound, ValidationFailed

MAX_PHASE_YEARS = 10


def _audit(
    session: Session,
    settings: Settings,
    action: str,
    target: dict[str, Any],
    changed: list[str],
    actor: Mapping[str, Any] | None,
) -> None:
    record_change(
        session=session,
        settings=settings,
        action=action,
        target=target,
        changed=changed,
        actor=actor,
    )


def create_plan(
    *,
    session: Session,
    settings: Settings,
    data: PlanCreate,
    actor: Mapping[str, Any] | None = None,
) -> Plan:
    if not 0 <= data.phase_end - data.phase_start < MAX_PHASE_YEARS:
        raise ValidationFailed.on(
            "phase_end", "invalid-phase", f"a phase runs 1 to {MAX_PHASE_YEARS} years, start first"
        )
    org = department(session=session, code=data.organisation)
    plan = Plan(
        organisation_id=org.id,
        title=data.title,
        phase_start=data.phase_start,
        phase_end=data.phase_end,
    )
    same = select(Plan.id).where(
        Plan.organisation_id == org.id,
        Plan.phase_start == data.phase_start,
        Plan.phase_end == data.phase_end,
    )
    if session.scalar(same) is not None:
        raise Conflict(
            f"{org.code} already has a plan for {data.phase_start}–{data.phase_end}",
            code="plan-exists",
        )
    session.add(plan)
    session.flush()
    _audit(
        session,
        settings,
        "dti.plan.create",
        {"plan": plan.id, "organisation": org.code},
        ["title", "phase_start", "phase_end"],
        actor,
    )
    return plan


def get_plan(*, session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", code="unknown-plan")
    return plan


def _check_measure(session: Session, data: TargetCreate) -> None:
    if data.measure == Measure.indicator:
        indicator_set = get_set(session=session, set_id=data.set or "")
        if data.key is None or indicator_set.node(data.key) is None:
            raise ValidationFailed.on(
                "key", "unknown-indicator", f"{data.key!r} is not an indicator of {data.set}"
            )
    elif data.measure == Measure.fact:
        if data.key not in FACTS:
            raise ValidationFailed.on("key", "unknown-fact", f"{data.key!r} is not a fact")
    elif data.key is not None or data.set is not None:
        raise ValidationFailed.on("key", "invalid-measure", "a reported target names no key")


def add_target(
    *,
    session: Session,
    settings: Settings,
    plan_id: int,
    data: TargetCreate,
    actor: Mapping[str, Any] | None = None,
) -> Target:
    plan = get_plan(session=session, plan_id=plan_id)
    if not plan.phase_start <= data.year <= plan.phase_end:
        raise ValidationFailed.on(
            "year",
            "target-outside-phase",
            f"{data.year} is outside the plan's phase {plan.phase_start}–{plan.phase_end}",
        )
    _check_measure(session, data)
    target = Target(
        plan_id=plan.id,
        year=data.year,
        title=data.title,
        measure=data.measure.value,
        key=data.key,
        set_id=data.set if data.measure == Measure.indicator else None,
        target=str(Decimal(str(data.target))),
        due=data.due or date(data.year, 12, 31),
    )
    session.add(target)
    session.flush()
    _audit(
        session,
        settings,
        "dti.target.create",
        {"plan": plan.id, "target": target.id, "organisation": plan.organisation.code},
        ["year", "title", "measure", "key", "target", "due"],
        actor,
    )
    return target


def report_progress(
    *,
    session: Session,
    settings: Settings,
    target_id: int,
    data: ProgressReport,
    actor: Mapping[str, Any] | None = None,
) -> Target:
    """A department reports a target the platform cannot measure, with evidence."""
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound(f"no target {target_id}", code="unknown-target")
    if target.measure != Measure.reported.value:
        raise Conflict(
            "this target is measured by the platform; only reported targets take a report",
            code="target-measured",
        )
    target.reported = str(Decimal(str(data.value)))
    target.evidence = data.evidence.strip()
    target.reported_at = utcnow()
    session.flush()
    _audit(
        session,
        settings,
        "dti.target.report",
        {"target": target.id, "plan": target.plan_id},
        ["reported", "evidence"],
        actor,
    )
    return target


class Measurer:
    """Measures targets, reading each year's scorecard and facts once."""

    def __init__(self, session: Session, today: date) -> None:
        self.session = session
        self.today = today
        self._cards: dict[tuple[str, int], Scorecard] = {}
        self._facts: dict[int, dict[str, FactValue]] = {}

    def card(self, set_id: str, year: int) -> Scorecard:
        if (set_id, year) not in self._cards:
            self._cards[set_id, year] = scorecard(session=self.session, set_id=set_id, year=year)
        return self._cards[set_id, year]

    def actual(self, target: Target) -> tuple[float | None, str | None]:
        if target.measure == Measure.indicator.value and target.set_id and target.key:
            lines = self.card(target.set_id, target.year).lines
            line = next(line for line in lines if line.key == target.key)
            return line.value, line.evidence
        if target.measure == Measure.fact.value and target.key:
            if target.year not in self._facts:
                self._facts[target.year] = platform_facts(session=self.session, year=target.year)
            value = self._facts[target.year][target.key].value
            return (float(value) if value is not None else None), None
        return (float(target.reported) if target.reported else None), target.evidence

    def read(self, target: Target) -> TargetRead:
        actual, evidence = self.actual(target)
        goal = float(target.target)
        if actual is not None and actual >= goal:
            status = TargetStatus.achieved
        elif self.today > target.due:
            status = TargetStatus.late
        elif actual is None:
            status = TargetStatus.no_data
        else:
            status = TargetStatus.on_track
        return TargetRead(
            id=target.id,
            year=target.year,
            title=target.title,
            measure=Measure(target.measure),
            key=target.key,
            set=target.set_id,
            target=goal,
            due=target.due,
            actual=actual,
            evidence=evidence,
            status=status,
        )


def _targets(session: Session, plan_ids: list[int]) -> dict[int, list[Target]]:
    found: dict[int, list[Target]] = defaultdict(list)
    if plan_ids:
        stmt = select(Target).where(Target.plan_id.in_(plan_ids)).order_by(Target.year, Target.id)
        for target in session.scalars(stmt):
            found[target.plan_id].append(target)
    return found


def plan_reads(
    *, session: Session, today: date, organisation: str | None = None, plan_id: int | None = None
) -> list[PlanRead]:
    """Plans (one, one department's, or all) with each target's progress and status."""
    stmt = select(Plan).order_by(Plan.organisation_id, Plan.phase_start, Plan.id)
    if plan_id is not None:
        stmt = stmt.where(Plan.id == get_plan(session=session, plan_id=plan_id).id)
    if organisation is not None:
        stmt = stmt.where(Plan.organisation_id == department(session=session, code=organisation).id)
    plans = list(session.scalars(stmt))
    targets = _targets(session, [p.id for p in plans])
    measurer = Measurer(session, today)
    return [
        PlanRead(
            id=p.id,
            organisation=p.organisation.code,
            organisation_name=p.organisation.name,
            title=p.title,
            phase_start=p.phase_start,
            phase_end=p.phase_end,
            targets=[measurer.read(t) for t in targets[p.id]],
        )
        for p in plans
    ]


def overview(*, session: Session, set_id: str, year: int, today: date) -> Overview:
    """The province's scorecard for the year and each department's targets of that year;
    late targets of that year and before."""
    plans = plan_reads(session=session, today=today)
    lines: dict[str, DepartmentLine] = {}
    late: list[TargetRead] = []
    for plan in plans:
        line = lines.setdefault(
            plan.organisation,
            DepartmentLine(
                organisation=plan.organisation,
                organisation_name=plan.organisation_name,
                plans=0,
                targets=0,
                achieved=0,
                late=0,
                on_track=0,
                no_data=0,
            ),
        )
        line.plans += 1
        for target in plan.targets:
            if target.status == TargetStatus.late and target.year <= year:
                late.append(target)
            if target.year != year:
                continue
            line.targets += 1
            field = str(target.status).replace("-", "_")
            setattr(line, field, getattr(line, field) + 1)
    return Overview(
        year=year,
        scorecard=scorecard(session=session, set_id=set_id, year=year),
        departments=sorted(lines.values(), key=lambda d: d.organisation),
        late_targets=late,
    )
