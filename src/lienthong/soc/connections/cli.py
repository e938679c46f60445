"""``lienthong soc connections report|check|interval``."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.soc.connections import report, service
from lienthong.soc.detection import Detection
from lienthong.terminal import cli_engine, cli_session, console, print_json, print_table

connections_app = typer.Typer(
    help="Connection monitoring of registered systems.", no_args_is_help=True
)


@connections_app.command("report")
def report_command(
    organisation: Annotated[str | None, typer.Option(help="One organisation's code")] = None,
    json_: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Each system and organisation: never-connected, silent or active."""
    settings = get_settings()
    with cli_engine() as engine:
        found = report.activity_report(engine=engine, settings=settings, organisation=organisation)
    if json_:
        print_json(found)
        return
    rows = [
        (s.organisation, s.system, s.state.value, s.last_seen_at, s.expected_interval_seconds)
        for org in found.by_organisation
        for s in org.systems
    ]
    print_table(
        "Connections", ["organisation", "system", "state", "last seen", "interval (s)"], rows
    )
    counts = found.organisations
    console.print(
        f"organisations: {counts.active} active, {counts.silent} silent, "
        f"{counts.never_connected} never connected"
    )


def _print(detections: list[Detection] | tuple[Detection, ...]) -> None:
    for d in detections:
        line = {
            "rule_id": d.rule_id,
            "severity": d.severity,
            "group_key": d.group_key,
            "observed_at": d.observed_at.isoformat(),
            "audit_seqs": list(d.audit_seqs),
            "summary": d.summary,
        }
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


@connections_app.command("check")
def check_command() -> None:
    """Report, once each, the systems gone silent since the last check (JSON lines)."""
    settings = get_settings()
    with cli_engine() as engine:
        service.check_silence(engine, settings=settings, sink=lambda found: _print(list(found)))


@connections_app.command("interval")
def interval_command(
    organisation: str,
    system: str,
    seconds: Annotated[str, typer.Argument(help="Seconds, or 'default'")],
) -> None:
    """Set the interval a system is expected to call within (audited)."""
    value = None if seconds == "default" else int(seconds) if seconds.isdigit() else -1
    with cli_session() as session:
        found = service.set_interval(
            session=session,
            settings=get_settings(),
            actor=cli_actor(),
            organisation=organisation,
            code=system,
            seconds=value,
        )
        console.print(
            f"{organisation}/{system}: {found.expected_interval_seconds} s ({found.state})"
        )
