"""``lienthong dti plans create|list|show|add-target|report``: department plans."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.dti import plans
from lienthong.dti.schemas import Measure, PlanCreate, PlanRead, ProgressReport, TargetCreate, build
from lienthong.errors import ValidationFailed
from lienthong.terminal import cli_session, print_json, print_table

plans_app = typer.Typer(help="Department plans by phase and year.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _plans(found: list[PlanRead], json: bool) -> None:
    if json:
        print_json(found)
        return
    for plan in found:
        print_table(
            f"#{plan.id} {plan.organisation_name}: {plan.title} "
            f"({plan.phase_start}–{plan.phase_end})",
            ("id", "year", "target", "measure", "goal", "actual", "due", "status"),
            [
                (t.id, t.year, t.title, t.key or t.measure, t.target, t.actual, t.due, t.status)
                for t in plan.targets
            ],
        )


@plans_app.command("create")
def plans_create(
    organisation: str,
    title: Annotated[str, typer.Option(help="Plan title")],
    phase: Annotated[str, typer.Option(help="Phase, e.g. 2021-2025")],
    json: Json = False,
) -> None:
    """Create a department's plan for a phase (audited)."""
    start, _, end = phase.partition("-")
    if not (start.isdigit() and end.isdigit()):
        raise ValidationFailed.on("phase", "invalid-phase", "write the phase as 2021-2025")
    data = build(
        PlanCreate,
        organisation=organisation,
        title=title,
        phase_start=int(start),
        phase_end=int(end),
    )
    with cli_session() as session:
        plan = plans.create_plan(
            session=session, settings=get_settings(), data=data, actor=cli_actor()
        )
        found = plans.plan_reads(session=session, today=date.today(), plan_id=plan.id)
    _plans(found, json)


@plans_app.command("list")
def plans_list(
    organisation: Annotated[str | None, typer.Option(help="One department")] = None,
    json: Json = False,
) -> None:
    """Plans with every target's progress and status."""
    with cli_session() as session:
        found = plans.plan_reads(session=session, today=date.today(), organisation=organisation)
    _plans(found, json)


@plans_app.command("show")
def plans_show(plan_id: int, json: Json = False) -> None:
    """One plan with its targets' progress."""
    with cli_session() as session:
        found = plans.plan_reads(session=session, today=date.today(), plan_id=plan_id)
    _plans(found, json)


@plans_app.command("add-target")
def plans_add_target(
    plan_id: int,
    year: Annotated[int, typer.Option(help="Year of the target")],
    title: Annotated[str, typer.Option(help="What is to be reached")],
    measure: Annotated[Measure, typer.Option(help="indicator, fact or reported")],
    target: Annotated[float, typer.Option(help="Value to reach (≥)")],
    key: Annotated[str | None, typer.Option(help="Indicator or fact key")] = None,
    set_id: Annotated[str | None, typer.Option("--set", help="Set, for an indicator")] = None,
    due: Annotated[str | None, typer.Option(help="Due date YYYY-MM-DD (default 31 Dec)")] = None,
    json: Json = False,
) -> None:
    """Add a yearly target to a plan (audited)."""
    data = build(
        TargetCreate,
        year=year,
        title=title,
        measure=measure,
        key=key,
        set=set_id,
        target=target,
        due=due,
    )
    with cli_session() as session:
        row = plans.add_target(
            session=session, settings=get_settings(), plan_id=plan_id, data=data, actor=cli_actor()
        )
        read = plans.Measurer(session, date.today()).read(row)
    print_json(read) if json else typer.echo(f"target {read.id}: {read.title} ({read.status})")


@plans_app.command("report")
def plans_report(
    target_id: int,
    value: Annotated[float, typer.Option(help="Value reached")],
    evidence: Annotated[str, typer.Option(help="Document reference")],
    json: Json = False,
) -> None:
    """Report a target the platform cannot measure, with evidence (audited)."""
    data = build(ProgressReport, value=value, evidence=evidence)
    with cli_session() as session:
        row = plans.report_progress(
            session=session,
            settings=get_settings(),
            target_id=target_id,
            data=data,
            actor=cli_actor(),
        )
        read = plans.Measurer(session, date.today()).read(row)
    print_json(read) if json else typer.echo(f"target {read.id}: {read.actual} ({read.status})")
