"""``lienthong soc export`` and ``lienthong soc forward``: the audit log for the SIEM."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated

import typer

from lienthong.audit.service import cli_actor, record
from lienthong.config import get_settings
from lienthong.db import transaction
from lienthong.errors import LienthongError, ValidationFailed
from lienthong.events import event
from lienthong.soc.siem.export import Format, Origin, entries_between, render
from lienthong.soc.siem.forwarder import Forwarder
from lienthong.soc.siem.transport import Target
from lienthong.terminal import cli_engine, err_console, fail


def _moment(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed.on(
            name, "invalid-date-time", f"--{name} must be an ISO 8601 date or date-time"
        ) from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def export_command(
    format: Annotated[str, typer.Option("--format", help="ecs (JSON lines) or syslog")] = "ecs",
    since: Annotated[
        str | None, typer.Option(help="From this time (ISO 8601, UTC if no zone)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO 8601)")] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
) -> None:
    """Audit entries in [since, until) as ECS JSON lines or RFC 5424 syslog messages, one a
    line. The export itself is audited (soc.export)."""
    settings = get_settings()
    try:
        if format not in ("ecs", "syslog"):
            raise ValidationFailed.on(
                "format", "invalid-export-format", "--format is ecs or syslog"
            )
        fmt: Format = "ecs" if format == "ecs" else "syslog"
        start, end = _moment(since, "since"), _moment(until, "until")
    except LienthongError as error:
        fail(error)
        raise typer.Exit(2) from error
    origin = Origin.here(settings.soc_syslog_hostname, settings.soc_syslog_enterprise_id)
    sink: IO[bytes] = output.open("wb") if output else sys.stdout.buffer
    count = 0
    try:
        with cli_engine() as engine:
            with engine.connect() as conn:
                for entry in entries_between(conn, start, end):
                    sink.write(render(entry, fmt, origin).rstrip(b"\n") + b"\n")
                    count += 1
            with transaction(engine) as session:
                record(
                    session=session,
                    settings=settings,
                    entry=event(
                        "soc.export",
                        actor=cli_actor(),
                        format=fmt,
                        since=since,
                        until=until,
                        count=count,
                    ),
                )
    finally:
        if output:
            sink.close()
        else:
            sink.flush()
    err_console.print(f"exported {count} audit entries ({fmt})")


def forward_command(
    to: Annotated[str, typer.Option("--to", help="tcp://host:port or tls://host:port")],
    ca: Annotated[Path | None, typer.Option("--ca", help="CA file (PEM) for tls://")] = None,
    once: Annotated[bool, typer.Option(help="Stop once every entry so far is delivered")] = False,
) -> None:
    """Send every audit entry not yet delivered to the syslog receiver, in order, and keep
    following the log (until interrupted, or caught up with --once)."""
    settings = get_settings()
    try:
        target = Target.parse(to)
    except LienthongError as error:
        fail(error)
        raise typer.Exit(2) from error
    origin = Origin.here(settings.soc_syslog_hostname, settings.soc_syslog_enterprise_id)
    with cli_engine() as engine:
        forwarder = Forwarder(
            engine,
            target,
            origin,
            ca_file=ca or settings.soc_syslog_ca_file,
            batch=settings.soc_syslog_batch,
        )
        stop = threading.Event()
        try:
            forwarder.run(stop, until=(lambda: True) if once else None)
        except KeyboardInterrupt:
            stop.set()
        err_console.print(f"delivered up to audit entry {forwarder.position()} to {target}")
