"""``lienthong people add|list|grant-role|remove-role|owner`` and ``lienthong people token
create|list|revoke``: the console of the server, for the first platform operator and for
people who work from scripts. Every change is audited as the console's login (``cli_actor``)."""

from __future__ import annotations

from typing import Annotated

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.http.permissions import Role
from lienthong.people import service, tokens
from lienthong.people.schemas import TokenRead
from lienthong.registry.owners import set_owner
from lienthong.terminal import cli_page, cli_session, print_json, print_table

people_app = typer.Typer(
    help="People, their roles and personal access tokens.", no_args_is_help=True
)
token_app = typer.Typer(help="Personal access tokens.", no_args_is_help=True)
people_app.add_typer(token_app, name="token")
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]
Org = Annotated[str | None, typer.Option("--organisation", help="e-ID code; none: the province")]


@people_app.command("add")
def add(
    issuer: Annotated[str, typer.Option(help="The identity provider's issuer URL")],
    subject: Annotated[str, typer.Option(help="The person's account (sub) there")],
    name: Annotated[str, typer.Option()],
    role: Annotated[Role | None, typer.Option(help="A first role")] = None,
    organisation: Org = None,
) -> None:
    """Register a person before their first sign-in (the first platform operator, say)."""
    settings = get_settings()
    with cli_session() as session:
        person = service.person_for_sign_in(
            session, issuer=issuer, subject=subject, name=name, personal_id=None
        )
        service.record_person_added(
            session=session, settings=settings, person=person, actor=cli_actor()
        )
        if role is not None:
            service.assign_role(
                session=session,
                settings=settings,
                person_id=person.id,
                role=role,
                organisation=organisation,
                actor=cli_actor(),
            )
        typer.echo(f"person {person.id}")


@people_app.command("list")
def list_people(json: Json = False) -> None:
    """People and their roles."""
    with cli_session() as session:
        rows, _ = service.list_people(session=session, page=cli_page(limit=1000))
        found = [
            (p.id, p.name, p.issuer, p.subject, service.roles_of(session=session, person_id=p.id))
            for p in rows
        ]
    if json:
        print_json(
            [dict(zip(("id", "name", "issuer", "subject", "roles"), r, strict=True)) for r in found]
        )
        return
    print_table(
        "People",
        ["id", "name", "issuer", "subject", "roles"],
        [(*r[:4], ", ".join(f"{role}@{org or 'province'}" for role, org in r[4])) for r in found],
    )


@people_app.command("grant-role")
def grant_role(person: int, role: Role, organisation: Org = None) -> None:
    """Give a person a role, for one organisation or the province."""
    with cli_session() as session:
        service.assign_role(
            session=session,
            settings=get_settings(),
            person_id=person,
            role=role,
            organisation=organisation,
            actor=cli_actor(),
        )
    typer.echo(f"person {person} holds {role.value}")


@people_app.command("remove-role")
def remove_role(person: int, role: Role, organisation: Org = None) -> None:
    """Take a role away (the person's tokens lose what it gave at once)."""
    with cli_session() as session:
        service.remove_role(
            session=session,
            settings=get_settings(),
            person_id=person,
            role=role,
            organisation=organisation,
            actor=cli_actor(),
        )
    typer.echo(f"person {person} no longer holds {role.value}")


@people_app.command("owner")
def owner(
    dataset: str,
    organisation: str,
    four_eyes: Annotated[
        bool | None,
        typer.Option("--four-eyes/--one-approver", help="Default: four eyes for sensitive fields"),
    ] = None,
) -> None:
    """Name the organisation that owns DATASET: its data stewards decide the grants on it."""
    with cli_session() as session:
        set_owner(
            session=session,
            settings=get_settings(),
            dataset=dataset,
            organisation=organisation,
            four_eyes=four_eyes,
            actor=cli_actor(),
        )
    typer.echo(f"{dataset} is owned by {organisation}")


@token_app.command("create")
def create_token(
    person: int,
    name: Annotated[str, typer.Option(help="What the token is for")],
    scope: Annotated[
        list[str] | None,
        typer.Option(help="api, read (read-only) or a permission to keep (repeatable)"),
    ] = None,
    days: Annotated[int, typer.Option(help="Lifetime, 1 to 365 days")] = 30,
) -> None:
    """Make a personal access token for PERSON and print it (once; only its hash is kept)."""
    with cli_session() as session:
        roles = frozenset(service.roles_of(session=session, person_id=person))
        row, secret = tokens.create_token(
            session=session,
            settings=get_settings(),
            person_id=service.get_person(session=session, person_id=person).id,
            roles=roles,
            name=name,
            scopes=scope or None,
            days=days,
            actor=cli_actor(),
        )
        typer.echo(f"token {row.id} (expires {row.expires_at:%Y-%m-%d}): {secret}")


@token_app.command("list")
def list_tokens(person: int, json: Json = False) -> None:
    """PERSON's tokens, without their secrets."""
    with cli_session() as session:
        found = [
            TokenRead.model_validate(t)
            for t in tokens.list_tokens(session=session, person_id=person)
        ]
    if json:
        print_json(found)
        return
    print_table(
        "Tokens",
        ["id", "name", "scopes", "expires", "revoked"],
        [(t.id, t.name, ",".join(t.scopes), t.expires_at, t.revoked_at) for t in found],
    )


@token_app.command("revoke")
def revoke_token(person: int, token: int) -> None:
    """Revoke one of PERSON's tokens: refused from its next use."""
    with cli_session() as session:
        tokens.revoke_token(
            session=session,
            settings=get_settings(),
            person_id=person,
            token_id=token,
            actor=cli_actor(),
        )
    typer.echo(f"token {token} revoked")
