"""``lienthong public-services catalogue|monthly``."""

from __future__ import annotations

from typing import Annotated

import typer

from lienthong.services import figures
from lienthong.terminal import cli_session, print_json, print_table

public_services_app = typer.Typer(
    help="Public services: online shares of procedures and applications.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Agency = Annotated[str | None, typer.Option(help="One agency (e-ID code)")]


@public_services_app.command("catalogue")
def catalogue(agency: Agency = None, json: Json = False) -> None:
    """Procedures per agency: full-online, partial-online, not online, and the shares."""
    with cli_session() as session:
        report = figures.catalogue(session=session, agency=agency)
    if json:
        print_json(report)
        return
    print_table(
        "Thủ tục hành chính / procedures",
        ("agency", "name", "procedures", "full", "partial", "none", "full share", "online share"),
        [
            (r.agency, r.agency_name, r.procedures, r.full_online, r.partial_online, r.not_online,
             r.full_online_share, r.online_share)
            for r in [*report.by_agency, report.total]
        ],
    )  # fmt: skip


@public_services_app.command("monthly")
def monthly(
    agency: Agency = None,
    since: Annotated[str | None, typer.Option(help="First month, YYYY-MM")] = None,
    until: Annotated[str | None, typer.Option(help="Last month, YYYY-MM")] = None,
    json: Json = False,
) -> None:
    """Applications per agency and month (and the province's), with the shares filed online,
    processed on time and paid online."""
    with cli_session() as session:
        report = figures.monthly(session=session, agency=agency, since=since, until=until)
    if json:
        print_json(report)
        return
    print_table(
        "Hồ sơ / applications",
        ("agency", "month", "received", "online", "online share", "on time share", "paid online"),
        [
            (r.agency, r.month, r.received_total, r.received_online, r.online_share,
             r.on_time_share, r.paid_online_share)
            for r in [*report.by_agency, *report.province]
        ],
    )  # fmt: skip
