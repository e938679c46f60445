"""``lienthong federation peers add|list|remove|refresh`` and ``federation call``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.db import transaction
from lienthong.errors import LienthongError
from lienthong.federation import client, service
from lienthong.federation.schemas import PeerCreate, PeerRead
from lienthong.keys import load_token_keys
from lienthong.terminal import cli_engine, cli_session, fail, print_json, print_table

federation_app = typer.Typer(help="Peer Lienthong instances.", no_args_is_help=True)
peers_app = typer.Typer(help="Peers whose tokens are accepted here.", no_args_is_help=True)
federation_app.add_typer(peers_app, name="peers")
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
COLUMNS = ["name", "issuer", "system", "keys", "JWKS fetched"]


def _row(p: PeerRead) -> tuple[Any, ...]:
    return (p.name, p.issuer, f"{p.organisation}/{p.system}", " ".join(p.keys), p.jwks_fetched_at)


def _who() -> dict[str, Any]:
    return {"settings": get_settings(), "actor": cli_actor()}


@peers_app.command("add")
def peers_add(
    name: str,
    issuer: Annotated[str, typer.Option(help="The peer's public URL (its tokens' iss)")],
    system: Annotated[str, typer.Option(help="ORGANISATION/SYSTEM that stands for the peer")],
    jwks_url: Annotated[
        str | None, typer.Option(help="Default: ISSUER/.well-known/jwks.json")
    ] = None,
    audience: Annotated[str | None, typer.Option(help="Default: ISSUER/api/v1")] = None,
    json: Json = False,
) -> None:
    """Register a peer instance and fetch its JWKS."""
    organisation, _, code = system.partition("/")
    data = PeerCreate(
        name=name,
        issuer=issuer,
        jwks_url=jwks_url,
        audience=audience,
        organisation=organisation,
        system=code,
    )
    who = _who()
    with cli_session() as session:
        peer = service.add_peer(
            session=session, **who, data=data, fetch=service.fetcher(who["settings"])
        )
        shown = service.to_read(session, peer)
    print_json(shown) if json else print_table("Added", COLUMNS, [_row(shown)])


@peers_app.command("list")
def peers_list(json: Json = False) -> None:
    """Every peer, with the key ids of its cached JWKS."""
    with cli_session() as session:
        found = [service.to_read(session, p) for p in service.list_peers(session=session)]
    print_json(found) if json else print_table("Peers", COLUMNS, [_row(p) for p in found])


@peers_app.command("remove")
def peers_remove(name: str) -> None:
    """Forget a peer: its tokens are refused from the next request on."""
    with cli_session() as session:
        service.remove_peer(session=session, **_who(), name=name)
    typer.echo(f"removed {name}")


@peers_app.command("refresh")
def peers_refresh(name: str, json: Json = False) -> None:
    """Fetch a peer's JWKS again now."""
    who = _who()
    with cli_session() as session:
        peer = service.refresh_peer(
            session=session, **who, name=name, fetch=service.fetcher(who["settings"])
        )
        shown = service.to_read(session, peer)
    print_json(shown) if json else print_table("Refreshed", COLUMNS, [_row(shown)])


@federation_app.command("call")
def call(
    peer: str,
    path: str,
    purpose: Annotated[str, typer.Option(help="Declared purpose (X-Purpose at the peer)")],
    system: Annotated[
        str | None, typer.Option("--as", help="ORGANISATION/SYSTEM calling (default: setting)")
    ] = None,
) -> None:
    """GET PATH (/api/v1/…) at a peer and print its answer; audited here."""
    settings = get_settings()
    token: client.PeerToken | None = None
    answer: client.PeerAnswer | None = None
    failure: LienthongError | None = None
    with cli_engine() as engine:
        try:
            with transaction(engine) as session:
                found = service.get_peer(session=session, name=peer)
                token = client.peer_token(
                    session=session,
                    settings=settings,
                    ring=load_token_keys(settings),
                    peer=found,
                    system=system,
                )
                base = found.issuer
            answer = client.call_peer(
                settings=settings, base=base, token=token, path=path, purpose=purpose
            )
        except LienthongError as error:
            failure = error
        with transaction(engine) as session:
            client.record_call(
                session=session,
                settings=settings,
                actor=cli_actor(),
                peer=peer,
                path=path,
                purpose=purpose,
                token=token,
                status=answer.status if answer else None,
                outcome=failure.code if failure else "ok",
            )
    if failure is not None:
        fail(failure)
        raise typer.Exit(1)
    assert answer is not None
    print_json(answer.body)
    if answer.status >= 400:
        raise typer.Exit(1)
