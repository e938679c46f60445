"""``lienthong grants request|list|show|revoke``, and ``lienthong standards retire`` (mounted
on the standards commands by the root CLI: retiring is the exchange's, as it changes what
grants serve). Grants are decided by a data steward of the owner, through the API
(docs/people.md), never at the console."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

import typer

from lienthong.audit.service import cli_actor, operator_actor
from lienthong.config import get_settings
from lienthong.exchange import grants
from lienthong.exchange.models import Grant
from lienthong.exchange.schemas import GrantRead, GrantRequest
from lienthong.exchange.store_link import known_fields
from lienthong.exchange.versions import retire_version
from lienthong.registry.systems import get_system
from lienthong.terminal import cli_page, cli_session, print_json, print_table

grants_app = typer.Typer(help="Grants: who may read which data, for what.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
Csv = Annotated[str, typer.Option(help="Comma-separated values")]


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _show(rows: list[GrantRead], json: bool) -> None:
    if json:
        print_json(rows)
        return
    print_table(
        "Grants",
        ["id", "consumer", "dataset", "version", "status", "purposes", "expires"],
        [
            (
                g.id,
                f"{g.consumer_organisation}/{g.consumer_system}",
                g.dataset,
                g.version,
                g.status.value,
                ",".join(g.purposes),
                g.expires_on,
            )
            for g in rows
        ],
    )


@grants_app.command("request")
def request(
    organisation: str,
    system: str,
    dataset: str,
    fields: Csv,
    units: Csv,
    purposes: Csv,
    expires_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    version: Annotated[
        int | None, typer.Option("--version", help="Standard version (default: the current one)")
    ] = None,
    json: Json = False,
) -> None:
    """Request a grant for the consumer SYSTEM of ORGANISATION (operator on its behalf)."""
    data = GrantRequest(
        dataset=dataset,
        version=version,
        fields=_split(fields),
        units=_split(units),
        purposes=_split(purposes),
        expires_on=date.fromisoformat(expires_on),
    )
    with cli_session() as session:
        target = get_system(session=session, organisation=organisation, code=system)
        grant = grants.request_grant(
            session=session,
            settings=get_settings(),
            system=target,
            data=data,
            actor=operator_actor(),
            known_fields=known_fields(session=session, dataset=dataset, version=version),
        )
        _show([grants.to_read(grant, target)], json)


@grants_app.command("list")
def list_(
    status: Annotated[str | None, typer.Option()] = None,
    dataset: Annotated[str | None, typer.Option()] = None,
    limit: int = 100,
    json: Json = False,
) -> None:
    """List grants."""
    with cli_session() as session:
        rows, _ = grants.list_grants(
            session=session, status=status, dataset=dataset, page=cli_page(limit)
        )
        _show(
            [
                grants.to_read(g, *grants.get_grant(session=session, grant_id=g.id)[1:])
                for g in rows
            ],
            json,
        )


@grants_app.command("show")
def show(grant_id: int, json: Json = False) -> None:
    """Show one grant."""
    with cli_session() as session:
        grant, system = grants.get_grant(session=session, grant_id=grant_id)
        _show([grants.to_read(grant, system)], json)


def _change(change: Callable[..., Grant], grant_id: int, reason: str | None, json: bool) -> None:
    """Revoke, suspend or resume (``change``, a grants service function) as the console user."""
    with cli_session() as session:
        grant = change(
            session=session,
            settings=get_settings(),
            grant_id=grant_id,
            actor=cli_actor(),
            reason=reason,
        )
        _show(
            [grants.to_read(grant, grants.get_grant(session=session, grant_id=grant_id)[1])], json
        )


@grants_app.command("revoke")
def revoke(grant_id: int, reason: str | None = None, json: Json = False) -> None:
    """Revoke a grant; it stops working on the consumer's next request."""
    _change(grants.revoke, grant_id, reason, json)


@grants_app.command("suspend")
def suspend(
    grant_id: int,
    reason: Annotated[str, typer.Option(help="Why reads stop for now")],
    json: Json = False,
) -> None:
    """Suspend an approved grant; its reads are refused (grant-suspended) until resumed."""
    _change(grants.suspend, grant_id, reason, json)


@grants_app.command("resume")
def resume(grant_id: int, reason: str | None = None, json: Json = False) -> None:
    """Resume a suspended grant; its reads work again on the consumer's next request."""
    _change(grants.resume, grant_id, reason, json)


def retire_command(
    name: str,
    version: int,
    on: Annotated[
        datetime,
        typer.Option("--on", formats=["%Y-%m-%d"], help="Retirement day (future, UTC)"),
    ],
) -> None:
    """Announce the day from which a standard version is no longer served (Sunset header)."""
    day = on.date()
    with cli_session() as session:
        retire_version(
            session=session,
            settings=get_settings(),
            name=name,
            version=version,
            on=day,
            actor=cli_actor(),
        )
    typer.echo(f"{name} v{version} retires on {day.isoformat()}")
