"""``lienthong audit verify|export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from lienthong.audit.service import audit_keys
from lienthong.audit.verify import export, verify
from lienthong.config import get_settings
from lienthong.terminal import cli_session, console, print_json

audit_app = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the hash chain and checkpoint signatures; name the first broken entry."""
    keys = audit_keys(get_settings())
    with cli_session() as session:
        report = verify(session.connection(), keys.signing_key.public_key())
    if json:
        print_json(report.as_dict())
    elif report.ok:
        console.print(
            f"audit log intact: {report.entries} entries, {report.checkpoints} checkpoints"
        )
    else:
        first = report.problems[0]
        console.print(f"[red]audit log broken at entry {first.seq}[/red]: {first.message}")
    if not report.ok:
        sys.exit(1)


@audit_app.command("export")
def export_command(folder: Path) -> None:
    """Write entries.jsonl, checkpoints.jsonl and audit-public-key.pem to FOLDER."""
    keys = audit_keys(get_settings())
    with cli_session() as session:
        counts = export(session.connection(), keys.signing_key.public_key(), folder)
    console.print(
        f"exported {counts['entries']} entries and {counts['checkpoints']} checkpoints to {folder}"
    )
