"""``lienthong audit verify|export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from lienthong.audit.publish import parse_known, published_path, read_published
from lienthong.audit.service import audit_keys
from lienthong.audit.verify import export, verify
from lienthong.config import get_settings
from lienthong.terminal import cli_session, console, print_json

audit_app = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command(
    json: Annotated[bool, typer.Option("--json")] = False,
    since_checkpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--since-checkpoint",
            help="A checkpoint held outside the database (JSON, or a file of JSON lines); "
            "the log must extend it. Repeatable.",
        ),
    ] = None,
    published: Annotated[
        bool,
        typer.Option(help="Also hold the log to every checkpoint in the published file."),
    ] = True,
) -> None:
    """Check the hash chain, checkpoint signatures and policy, and checkpoints held outside."""
    settings = get_settings()
    keys = audit_keys(settings)
    known: list[Any] = []
    for given in since_checkpoint or []:
        known += parse_known(given)
    if published:
        known += read_published(published_path(settings))
    with cli_session() as session:
        report = verify(
            session.connection(),
            keys.signing_key.public_key(),
            every=settings.audit_checkpoint_every,
            known=known,
        )
    if json:
        print_json(report.as_dict())
    elif report.ok:
        console.print(
            f"audit log intact: {report.entries} entries, {report.checkpoints} checkpoints; "
            f"extends {report.known_checkpoints} checkpoints held outside; "
            f"{report.unsigned_tail} entries not yet signed"
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
