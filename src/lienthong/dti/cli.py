"""``lienthong dti …``: sets, score, climb, facts, declarations, scorecard, export, plans."""

from __future__ import annotations

import json as jsonlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.dti import declarations, export, plans, sets
from lienthong.dti.facts import platform_facts
from lienthong.dti.optimise import climb
from lienthong.dti.plans_cli import plans_app
from lienthong.dti.schemas import (
    ClimbOut,
    DeclarationCreate,
    ScoreRow,
    build,
)
from lienthong.dti.scorecard import fact_out, scorecard
from lienthong.dti.scoring import score_table
from lienthong.dti.tables import improvements, parse_csv, province_values
from lienthong.errors import ValidationFailed
from lienthong.terminal import cli_session, print_json, print_table

dti_app = typer.Typer(help="DTI: indicator sets, scoring, ranking and plans.", no_args_is_help=True)
dti_app.add_typer(plans_app, name="plans")

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SetOpt = Annotated[str, typer.Option("--set", help="Indicator set id.")]
YearOpt = Annotated[int, typer.Option("--year", help="Year evaluated.")]


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationFailed.on(what, "unreadable-file", f"cannot read {path}: {exc}") from exc


def _year() -> int:
    return date.today().year


@dti_app.command("sets")
def list_sets(json: Json = False) -> None:
    """The loaded indicator sets."""
    with cli_session() as session:
        found = [sets.set_read(r) for r in sets.list_sets(session=session)]
    if json:
        print_json(found)
        return
    print_table(
        "Indicator sets",
        ("id", "title", "decision", "builtin", "indicators"),
        [(s.id, s.title, s.decision, s.builtin, len(s.indicators)) for s in found],
    )


@dti_app.command("show-set")
def show_set(set_id: str, json: Json = False) -> None:
    """One set's indicator tree with weights."""
    with cli_session() as session:
        found = sets.get_set(session=session, set_id=set_id)
    if json:
        print_json(found.document)
        return
    print_table(
        f"{found.title_vi} ({found.id}, total {found.total})",
        ("key", "chỉ số", "indicator", "weight", "facts"),
        [
            (
                n.key,
                n.name_vi,
                n.name_en,
                n.weight,
                ", ".join(f.fact for f in n.estimate.facts) if n.estimate else "",
            )
            for n in found.nodes()
        ],
    )


@dti_app.command("load-set")
def load_set(path: Path, json: Json = False) -> None:
    """Load a later indicator set from its JSON document (audited)."""
    document = _json_document(_read(path, "file"))
    with cli_session() as session:
        loaded = sets.load_set(
            session=session, settings=get_settings(), document=document, actor=cli_actor()
        )
    print_json({"id": loaded.id, "indicators": loaded.keys}) if json else typer.echo(
        f"loaded {loaded.id}"
    )


def _json_document(data: bytes) -> Any:
    try:
        return jsonlib.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed.on("file", "invalid-indicator-set", "the file is not JSON") from exc


@dti_app.command("score")
def score(
    values: Annotated[Path, typer.Option("--values", help="CSV: province + one column each")],
    set_id: SetOpt = "922-2022",
    json: Json = False,
) -> None:
    """Index (rounded as published) and rank (ties share) of every province of a values file."""
    with cli_session() as session:
        indicator_set = sets.get_set(session=session, set_id=set_id)
    rows = province_values(indicator_set, parse_csv(_read(values, "values")))
    scores = [
        ScoreRow(province=s.province, index=float(s.index), rank=s.rank)
        for s in score_table(indicator_set, rows)
    ]
    if json:
        print_json(scores)
        return
    print_table(
        f"DTI {set_id}",
        ("rank", "province", "index"),
        [(s.rank, s.province, f"{s.index:.4f}") for s in scores],
    )


@dti_app.command("climb")
def climb_command(
    province: Annotated[str, typer.Option(help="Our province, as named in the values file")],
    improvements_file: Annotated[
        Path, typer.Option("--improvements", help="CSV: indicator, step, cost, ceiling")
    ],
    values: Annotated[Path, typer.Option("--values", help="CSV of every province's values")],
    set_id: SetOpt = "922-2022",
    places: Annotated[int, typer.Option(help="Ranks to climb")] = 10,
    json: Json = False,
) -> None:
    """The least-cost declared improvements that lift a province by N ranks (a MILP)."""
    with cli_session() as session:
        indicator_set = sets.get_set(session=session, set_id=set_id)
    plan = climb(
        indicator_set=indicator_set,
        rows=province_values(indicator_set, parse_csv(_read(values, "values"))),
        province=province,
        places=places,
        improvements=improvements(
            indicator_set, parse_csv(_read(improvements_file, "improvements"))
        ),
    )
    out = ClimbOut.model_validate(plan, from_attributes=True)
    if json:
        print_json(out)
        return
    print_table(
        f"{out.province}: rank {out.current_rank} → {out.new_rank} "
        f"(index {out.current_index:.4f} → {out.new_index:.4f}; needed {out.index_needed:.4f}), "
        f"cost {out.total_cost:g}",
        ("chỉ số / indicator", "now", "proposed", "steps", "cost", "index gain"),
        [
            (
                f"{c.name_vi} / {c.name_en}",
                f"{c.current:.4f}",
                f"{c.proposed:.4f}",
                f"{c.steps}/{c.steps_available}",
                f"{c.cost:g}",
                f"{c.index_gain:.4f}",
            )
            for c in out.changes
        ],
    )
    if out.overtaken:
        typer.echo("overtakes: " + ", ".join(out.overtaken))


@dti_app.command("facts")
def facts(year: YearOpt = 0, json: Json = False) -> None:
    """What the platform measures itself for a year (default: this year)."""
    with cli_session() as session:
        found = [
            fact_out(f) for f in platform_facts(session=session, year=year or _year()).values()
        ]
    if json:
        print_json(found)
        return
    print_table(
        "Platform facts",
        ("key", "chỉ tiêu", "value", "of"),
        [(f.key, f.name_vi, f.value, f.denominator) for f in found],
    )


@dti_app.command("declare")
def declare(
    indicator: Annotated[str, typer.Option(help="Indicator key")],
    value: Annotated[float, typer.Option(help="Value, 0..1")],
    organisation: Annotated[str, typer.Option(help="Responsible department (e-ID code)")],
    evidence: Annotated[str, typer.Option(help="Document reference (số, ngày văn bản)")],
    set_id: SetOpt = "922-2022",
    year: YearOpt = 0,
    note: Annotated[str | None, typer.Option(help="Free note")] = None,
    json: Json = False,
) -> None:
    """Declare an indicator's value for a year, with evidence (audited)."""
    data = build(
        DeclarationCreate,
        set=set_id,
        year=year or _year(),
        indicator=indicator,
        value=value,
        organisation=organisation,
        evidence=evidence,
        note=note,
    )
    with cli_session() as session:
        row = declarations.to_read(
            declarations.declare(
                session=session, settings=get_settings(), data=data, actor=cli_actor()
            )
        )
    print_json(row) if json else typer.echo(f"declared {row.indicator} = {row.value} ({row.year})")


@dti_app.command("declarations")
def list_declarations(set_id: SetOpt = "922-2022", year: YearOpt = 0, json: Json = False) -> None:
    """Every declaration of a year, oldest first."""
    with cli_session() as session:
        sets.get_set(session=session, set_id=set_id)
        found = [
            declarations.to_read(d)
            for d in declarations.declarations(session=session, set_id=set_id, year=year or _year())
        ]
    if json:
        print_json(found)
        return
    print_table(
        "Declarations",
        ("id", "indicator", "value", "organisation", "evidence", "at"),
        [(d.id, d.indicator, d.value, d.organisation, d.evidence, d.declared_at) for d in found],
    )


@dti_app.command("scorecard")
def show_scorecard(set_id: SetOpt = "922-2022", year: YearOpt = 0, json: Json = False) -> None:
    """Every indicator's value for a year, its source and evidence, and the index."""
    with cli_session() as session:
        card = scorecard(session=session, set_id=set_id, year=year or _year())
    if json:
        print_json(card)
        return
    index = (
        f"{card.index:.4f}" if card.index is not None else "incomplete: " + ", ".join(card.missing)
    )
    print_table(
        f"{card.title_vi} — {card.year}: DTI {index}",
        ("chỉ số", "indicator", "weight", "value", "source", "evidence"),
        [
            ("  " * ln.depth + ln.name_vi, ln.name_en, ln.weight, ln.value, ln.source, ln.evidence)
            for ln in card.lines
        ],
    )


@dti_app.command("overview")
def show_overview(set_id: SetOpt = "922-2022", year: YearOpt = 0, json: Json = False) -> None:
    """The province and each department at a glance: index, targets achieved and late."""
    with cli_session() as session:
        view = plans.overview(
            session=session, set_id=set_id, year=year or _year(), today=date.today()
        )
    if json:
        print_json(view)
        return
    index = view.scorecard.index
    print_table(
        f"DTI {view.scorecard.set} {view.year}: {index if index is not None else 'incomplete'}",
        ("department", "plans", "targets", "achieved", "on track", "late", "no data"),
        [
            (d.organisation_name, d.plans, d.targets, d.achieved, d.on_track, d.late, d.no_data)
            for d in view.departments
        ],
    )


@dti_app.command("export")
def export_scorecard(
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    set_id: SetOpt = "922-2022",
    year: YearOpt = 0,
    file_format: Annotated[str, typer.Option("--format", help="xlsx or pdf")] = "xlsx",
) -> None:
    """Write the scorecard with department progress as XLSX or PDF."""
    if file_format not in ("xlsx", "pdf"):
        raise ValidationFailed.on("format", "unsupported-format", "format is xlsx or pdf")
    with cli_session() as session:
        view = plans.overview(
            session=session, set_id=set_id, year=year or _year(), today=date.today()
        )
    data = export.scorecard_pdf(view) if file_format == "pdf" else export.scorecard_xlsx(view)
    out.write_bytes(data)
    typer.echo(f"wrote {out} ({len(data)} bytes)")
