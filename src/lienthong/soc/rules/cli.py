"""``lienthong soc rules list|enable|disable|test``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.errors import LienthongError
from lienthong.soc.rules import service
from lienthong.terminal import cli_session, fail, print_json, print_table

rules_app = typer.Typer(help="Detection rules (Sigma).", no_args_is_help=True)


@rules_app.command("list")
def list_command(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every detection rule, its level and whether it runs."""
    with cli_session() as session:
        rules = service.list_rules(session=session)
    if json:
        print_json(rules)
        return
    rows = [(r["id"], r["level"], "on" if r["enabled"] else "off", r["title"]) for r in rules]
    print_table("Detection rules", ["id", "level", "enabled", "title"], rows)


def _switch(rule_id: str, enabled: bool) -> None:
    try:
        with cli_session() as session:
            rule = service.set_enabled(
                session=session,
                settings=get_settings(),
                rule_id=rule_id,
                enabled=enabled,
                actor=cli_actor(),
            )
    except LienthongError as error:
        fail(error)
        raise typer.Exit(1) from error
    print_json(rule)


@rules_app.command("enable")
def enable_command(rule_id: str) -> None:
    """Run RULE_ID again (audited)."""
    _switch(rule_id, True)


@rules_app.command("disable")
def disable_command(rule_id: str) -> None:
    """Stop RULE_ID raising detections (audited)."""
    _switch(rule_id, False)


@rules_app.command("test")
def test_command(
    rule_id: str,
    start: Annotated[datetime, typer.Option("--from", help="Start of the range (ISO 8601).")],
    until: Annotated[datetime, typer.Option("--until", help="End of the range, excluded.")],
) -> None:
    """The detections RULE_ID would raise over the audit entries of the range (not stored)."""
    settings = get_settings()
    start, until = (d if d.tzinfo else d.astimezone() for d in (start, until))
    try:
        with cli_session() as session:
            found = service.test_rule(
                session=session,
                rule_id=rule_id,
                start=start,
                until=until,
                utc_offset_hours=settings.soc_utc_offset_hours,
            )
    except LienthongError as error:
        fail(error)
        raise typer.Exit(1) from error
    print_json([service.detection_json(d) for d in found])
