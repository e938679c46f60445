"""``lienthong audit verify|export``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from lienthong.audit.archive import archive
from lienthong.audit.partitions import ensure_partitions, partitions
from lienthong.audit.publish import parse_known, published_path, read_published
from lienthong.audit.service import audit_keys, cli_actor
from lienthong.audit.verify import export, verify
from lienthong.config import get_settings
from lienthong.db import utcnow
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
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="Folder of the archive files (lienthong audit archive): recompute them.",
        ),
    ] = None,
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
            archive_dir=archive,
        )
    if json:
        print_json(report.as_dict())
    elif report.ok:
        console.print(
            f"audit log intact: {report.entries} entries, {report.checkpoints} checkpoints; "
            f"extends {report.known_checkpoints} checkpoints held outside; "
            f"{report.unsigned_tail} entries not yet signed; {report.archived_entries} archived "
            f"({report.archive_files_checked} archive files recomputed)"
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


@audit_app.command("archive")
def archive_command(
    before: Annotated[
        datetime,
        typer.Option(
            "--before", formats=["%Y-%m-%d"], help="Archive entries signed before this day."
        ),
    ],
    to: Annotated[Path, typer.Option("--to", help="Folder the archive file is written to.")],
) -> None:
    """Move the entries up to the last checkpoint signed before a day into a file; the chain
    stays verifiable (docs/audit.md, "Archiving")."""
    settings = get_settings()
    keys = audit_keys(settings)
    with cli_session() as session:
        done = archive(
            session.connection(), before.date(), to, actor=cli_actor(), signer=keys.signer
        )
    if done is None:
        console.print("nothing to archive: no checkpoint was signed before that day")
        return
    console.print(
        f"archived entries {done.first_seq}..{done.last_seq} ({done.entries}) to {done.file} "
        f"(SHA-256 {done.sha256}); partitions dropped: {', '.join(done.dropped_partitions) or '-'}"
    )


@audit_app.command("partitions")
def partitions_command(
    ahead: Annotated[int, typer.Option(min=0, max=24, help="Months to make ahead.")] = 2,
) -> None:
    """PostgreSQL: make the monthly partitions ahead and list them with their entries."""
    with cli_session() as session:
        made = ensure_partitions(session.connection(), utcnow().date(), ahead)
        found = partitions(session.connection())
    if not found:
        console.print("the audit log is not partitioned (SQLite keeps one table)")
        return
    for partition in found:
        mark = " (new)" if partition.name in made else ""
        console.print(f"{partition.name}: {partition.entries} entries{mark}")
