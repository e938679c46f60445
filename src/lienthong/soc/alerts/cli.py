"""``lienthong soc alerts list|show|ack|resolve`` and ``lienthong soc targets
list|add|remove|deliver``: the operator at the server's console (audited as ``cli``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import httpx
import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.soc.alerts import notify, service
from lienthong.soc.alerts.models import Alert
from lienthong.soc.alerts.schemas import AlertStatus, TargetCreate, TargetKind
from lienthong.terminal import cli_engine, cli_page, cli_session, print_json, print_table

alerts_app = typer.Typer(
    help="Security alerts: list, show, acknowledge, resolve.", no_args_is_help=True
)
targets_app = typer.Typer(
    help="Where new alerts are notified (webhook, e-mail).", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
Reason = Annotated[str, typer.Option("--reason", help="Why (required)")]


def _row(a: Alert) -> dict[str, object]:
    return {
        "id": a.id,
        "severity": a.severity,
        "rule": a.rule_id,
        "group_key": a.group_key,
        "status": a.status,
        "occurrences": a.occurrences,
        "last_seen": a.last_seen.isoformat(),
    }


def _show(rows: list[dict[str, object]], json: bool) -> None:
    if json:
        print_json(rows)
        return
    columns = ["id", "severity", "rule", "group_key", "status", "occurrences", "last_seen"]
    print_table("Alerts", columns, [[r[c] for c in columns] for r in rows])


@alerts_app.command("list")
def list_command(
    status: Annotated[AlertStatus | None, typer.Option(help="Only this status")] = None,
    severity: Annotated[str | None, typer.Option(help="At least this severity")] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule id")] = None,
    since: Annotated[datetime | None, typer.Option(help="Last seen at or after (UTC)")] = None,
    limit: int = 100,
    cursor: str | None = None,
    json: Json = False,
) -> None:
    """Alerts newest first."""
    if severity is not None and severity not in service.SEVERITIES:
        raise typer.BadParameter(f"one of {', '.join(service.SEVERITIES)}", param_hint="--severity")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=datetime.now().astimezone().tzinfo).astimezone()
    with cli_session() as session:
        rows, nxt = service.list_alerts(
            session=session,
            page=cli_page(limit, cursor).for_caller("cli"),
            status=status.value if status else None,
            severity=severity,
            rule=rule,
            since=since,
        )
        _show([_row(a) for a in rows], json)
    if nxt and not json:
        typer.echo(f"next page: --cursor {nxt}")


@alerts_app.command("show")
def show_command(alert_id: int) -> None:
    """One alert with the audit entries that raised it (JSON)."""
    with cli_session() as session:
        alert = service.get_alert(session=session, alert_id=alert_id)
        print_json(
            _row(alert) | {"evidence": service.evidence_of(session=session, alert_id=alert_id)}
        )


def _step(change: Callable[..., Alert], alert_id: int, reason: str, json: bool) -> None:
    """One step of an alert's lifecycle (``change`` is the service's step), shown as a row."""
    with cli_session() as session:
        alert = change(
            session=session,
            settings=get_settings(),
            alert_id=alert_id,
            actor=cli_actor(),
            reason=reason,
        )
        _show([_row(alert)], json)


@alerts_app.command("ack")
def ack_command(alert_id: int, reason: Reason, json: Json = False) -> None:
    """Acknowledge an open alert."""
    _step(service.acknowledge, alert_id, reason, json)


@alerts_app.command("resolve")
def resolve_command(alert_id: int, reason: Reason, json: Json = False) -> None:
    """Resolve an open or acknowledged alert."""
    _step(service.resolve, alert_id, reason, json)


@targets_app.command("list")
def targets_list(json: Json = False) -> None:
    """Targets with their deliveries' counts (never a secret)."""
    with cli_session() as session:
        counts = notify.delivery_counts(session=session)
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "kind": t.kind,
                "to": t.url or t.address,
                "min_severity": t.min_severity,
                "enabled": t.enabled,
                **counts.get(t.id, {}),
            }
            for t in notify.list_targets(session=session)
        ]
    if json:
        print_json(rows)
        return
    columns = [
        "id",
        "name",
        "kind",
        "to",
        "min_severity",
        "enabled",
        "pending",
        "delivered",
        "dead",
    ]
    print_table("Notification targets", columns, [[r.get(c, 0) for c in columns] for r in rows])


@targets_app.command("add")
def targets_add(
    name: str,
    kind: TargetKind,
    to: Annotated[str, typer.Argument(help="The webhook's URL or the e-mail address")],
    min_severity: Annotated[str, typer.Option(help="Least severity sent")] = "medium",
) -> None:
    """Add a target; a webhook's signing secret is printed this once."""
    webhook = kind is TargetKind.webhook
    data = TargetCreate.model_validate(
        {"name": name, "kind": kind, "min_severity": min_severity}
        | ({"url": to} if webhook else {"address": to})
    )
    with cli_session() as session:
        target = notify.create_target(
            session=session, settings=get_settings(), data=data, actor=cli_actor()
        )
        print_json({"id": target.id, "name": target.name, "secret": target.secret})


@targets_app.command("remove")
def targets_remove(target_id: int) -> None:
    """Remove a target and its deliveries."""
    with cli_session() as session:
        notify.delete_target(
            session=session, settings=get_settings(), target_id=target_id, actor=cli_actor()
        )
    typer.echo(f"target {target_id} removed")


@targets_app.command("deliver")
def targets_deliver(
    every: Annotated[float | None, typer.Option(help="Keep delivering every N seconds")] = None,
) -> None:
    """Send the due deliveries once (or every N seconds until interrupted)."""
    settings = get_settings()
    with cli_engine() as engine, httpx.Client() as client:
        while True:
            counts = notify.deliver_due(engine=engine, settings=settings, client=client)
            print_json(counts)
            if every is None:
                return
            time.sleep(every)
