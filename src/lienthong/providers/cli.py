"""``lienthong providers register|list|show``: provider services from the server's console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.providers import service
from lienthong.providers.schemas import ServiceRead, ServiceRegister
from lienthong.terminal import cli_session, print_json, print_table

providers_app = typer.Typer(
    help="Provider services: sector APIs called through the platform.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _show(rows: list[ServiceRead], json: bool) -> None:
    if json:
        print_json(rows)
        return
    print_table(
        "Provider services",
        ["name", "provider", "base URL", "operations", "timeout s", "max bytes", "revision"],
        [
            (
                s.name,
                f"{s.organisation}/{s.system}",
                s.base_url,
                len(s.operations),
                s.timeout_seconds,
                s.max_response_bytes,
                s.revision,
            )
            for s in rows
        ],
    )


@providers_app.command("register")
def register(
    organisation: str,
    system: str,
    name: str,
    base_url: Annotated[str, typer.Option(help="Where the service answers (http or https)")],
    openapi: Annotated[Path, typer.Option(help="The service's OpenAPI 3.x document (JSON/YAML)")],
    timeout: Annotated[float, typer.Option(help="Longest wait for an answer, seconds")] = 10.0,
    max_bytes: Annotated[int, typer.Option(help="Largest answer passed on, bytes")] = 1_048_576,
    health_path: Annotated[str | None, typer.Option(help="Path the probe asks")] = None,
    json: Json = False,
) -> None:
    """Register service NAME of the provider SYSTEM of ORGANISATION (again: a new revision)."""
    data = ServiceRegister(
        organisation=organisation,
        system=system,
        name=name,
        base_url=base_url,
        document=openapi.read_text("utf-8"),
        timeout_seconds=timeout,
        max_response_bytes=max_bytes,
        health_path=health_path,
    )
    with cli_session() as session:
        found = service.register_service(
            session=session, settings=get_settings(), data=data, actor=cli_actor()
        )
        _show([service.to_read(session, found)], json)


@providers_app.command("list")
def list_(json: Json = False) -> None:
    """List the registered provider services."""
    with cli_session() as session:
        _show([service.to_read(session, s) for s in service.list_services(session=session)], json)


@providers_app.command("show")
def show(name: str, json: Json = False) -> None:
    """Show one service and the operations its document declares."""
    with cli_session() as session:
        found = service.to_read(session, service.get_service(session=session, name=name))
    if json:
        print_json(found)
        return
    _show([found], False)
    print_table(
        f"Operations of {name}",
        ["operation", "method", "path"],
        [(o.id, o.method, o.path) for o in found.operations],
    )
