"""Registry commands: ``lienthong units …``, ``orgs …``, ``systems …``, ``report …``."""

from __future__ import annotations

from datetime import date as Date
from pathlib import Path
from typing import Annotated, Any

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.errors import ValidationFailed
from lienthong.paging import MAX_LIMIT
from lienthong.registry import organisations, report, systems, units
from lienthong.registry.schemas import (
    CredentialIssued,
    CredentialRead,
    Level,
    OrganisationCreate,
    OrganisationUpdate,
    SystemCreate,
    SystemStatus,
    SystemUpdate,
    UnitDetail,
    UnitLinks,
    UnitRead,
    UnitVersionRead,
)
from lienthong.terminal import cli_page, cli_session, print_json, print_table

units_app = typer.Typer(help="Administrative units (versioned code lists).", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations.", no_args_is_help=True)
systems_app = typer.Typer(help="Information systems and their credentials.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for leaders.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
VersionOpt = Annotated[str | None, typer.Option("--version", help="Code-list version id.")]
DateOpt = Annotated[str | None, typer.Option("--date", help="Version in force on YYYY-MM-DD.")]


def _date(value: str | None) -> Date | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed.on("date", "invalid-date", "use YYYY-MM-DD") from exc


def _unit_rows(found: list[UnitRead]) -> list[tuple[str, ...]]:
    return [(u.code, u.full_name, u.level, u.parent_code or "", u.version_id) for u in found]


UNIT_COLUMNS = ("code", "name", "level", "parent", "version")


@units_app.command("versions")
def units_versions(json: Json = False) -> None:
    """List the code-list versions and their effective dates."""
    with cli_session() as session:
        found = [UnitVersionRead.model_validate(v) for v in units.list_versions(session=session)]
    if json:
        print_json(found)
        return
    print_table(
        "Versions",
        ("id", "from", "to", "tiers", "name"),
        [(v.id, v.effective_from, v.effective_to, v.tiers, v.name) for v in found],
    )


@units_app.command("show")
def units_show(
    code: str, version: VersionOpt = None, on: DateOpt = None, json: Json = False
) -> None:
    """A unit with its ancestors and children."""
    with cli_session() as session:
        unit = units.get_unit(session=session, code=code, version=version, on=_date(on))
        detail = UnitDetail(
            unit=UnitRead.model_validate(unit),
            ancestors=[
                UnitRead.model_validate(a) for a in units.ancestors(session=session, unit=unit)
            ],
            children=[
                UnitRead.model_validate(c) for c in units.all_children(session=session, unit=unit)
            ],
        )
    if json:
        print_json(detail)
        return
    print_table(
        f"{detail.unit.full_name} ({detail.unit.code}, {detail.unit.version_id})",
        UNIT_COLUMNS,
        _unit_rows([*detail.ancestors, detail.unit]),
    )
    print_table(f"{len(detail.children)} children", UNIT_COLUMNS, _unit_rows(detail.children))


@units_app.command("search")
def units_search(
    text: str,
    version: VersionOpt = None,
    level: Annotated[str | None, typer.Option(help="province, district or commune")] = None,
    limit: int = 50,
    json: Json = False,
) -> None:
    """Find units by name, with or without diacritics."""
    with cli_session() as session:
        rows, _ = units.search(
            session=session, query=text, version=version, level=level, page=cli_page(limit)
        )
        found = [UnitRead.model_validate(u) for u in rows]
    if json:
        print_json(found)
        return
    print_table(f"Units matching {text!r}", UNIT_COLUMNS, _unit_rows(found))


def _links(kind: str, code: str, version: str | None, json: bool) -> None:
    with cli_session() as session:
        lookup = units.successors if kind == "successors" else units.predecessors
        unit, found = lookup(session=session, code=code, version=version)
        links = UnitLinks(
            unit=UnitRead.model_validate(unit), units=[UnitRead.model_validate(u) for u in found]
        )
    if json:
        print_json(links)
        return
    print_table(
        f"{kind.capitalize()} of {links.unit.full_name} ({code}, {links.unit.version_id})",
        UNIT_COLUMNS,
        _unit_rows(links.units),
    )


@units_app.command("successors")
def units_successors(code: str, version: VersionOpt = None, json: Json = False) -> None:
    """The units that took over an old code (default: from the version it was retired in)."""
    _links("successors", code, version, json)


@units_app.command("predecessors")
def units_predecessors(code: str, version: VersionOpt = None, json: Json = False) -> None:
    """The old units merged into a code (default: the latest version that has it)."""
    _links("predecessors", code, version, json)


ORG_COLUMNS = ("code", "name", "level", "unit", "parent", "sector", "active")


def _org_row(o: organisations.OrganisationRead) -> tuple[object, ...]:
    return (o.code, o.name, o.level, o.unit_code, o.parent_code, o.sector, o.active)


def _who() -> dict[str, Any]:
    """What every audited registry service takes here: the settings, and the operator at the
    command line as the actor (the services write the same entries as through the API)."""
    return {"settings": get_settings(), "actor": cli_actor()}


@orgs_app.command("create")
def orgs_create(
    code: str,
    name: Annotated[str, typer.Option(help="Full name")],
    level: Annotated[Level, typer.Option(help="Administrative level")],
    unit: Annotated[str | None, typer.Option(help="Unit code served")] = None,
    unit_version: Annotated[str | None, typer.Option(help="Unit code-list version")] = None,
    parent: Annotated[str | None, typer.Option(help="Parent organisation code")] = None,
    sector: Annotated[str | None, typer.Option(help="Sector, e.g. health")] = None,
    json: Json = False,
) -> None:
    """Register an organisation."""
    data = OrganisationCreate(
        code=code,
        name=name,
        level=level,
        unit_code=unit,
        unit_version=unit_version,
        parent_code=parent,
        sector=sector,
    )
    with cli_session() as session:
        org = organisations.to_read(
            organisations.create_organisation(session=session, **_who(), data=data)
        )
    print_json(org) if json else print_table("Created", ORG_COLUMNS, [_org_row(org)])


@orgs_app.command("update")
def orgs_update(
    code: str,
    name: Annotated[str | None, typer.Option()] = None,
    sector: Annotated[str | None, typer.Option()] = None,
    parent: Annotated[str | None, typer.Option(help="Parent organisation code")] = None,
    json: Json = False,
) -> None:
    """Change an organisation's name, sector or parent."""
    given = {
        k: v
        for k, v in {"name": name, "sector": sector, "parent_code": parent}.items()
        if v is not None
    }
    data = OrganisationUpdate(**given)
    with cli_session() as session:
        org = organisations.update_organisation(session=session, **_who(), code=code, data=data)
        read = organisations.to_read(org)
    print_json(read) if json else print_table("Updated", ORG_COLUMNS, [_org_row(read)])


@orgs_app.command("show")
def orgs_show(code: str, json: Json = False) -> None:
    """One organisation."""
    with cli_session() as session:
        org = organisations.to_read(organisations.get_organisation(session=session, code=code))
    print_json(org) if json else print_table(org.name, ORG_COLUMNS, [_org_row(org)])


@orgs_app.command("list")
def orgs_list(
    level: Annotated[Level | None, typer.Option()] = None,
    unit: Annotated[str | None, typer.Option(help="Unit code")] = None,
    sector: Annotated[str | None, typer.Option()] = None,
    limit: int = 100,
    cursor: str | None = None,
    json: Json = False,
) -> None:
    """List organisations (paged: pass the printed cursor to continue)."""
    with cli_session() as session:
        rows, nxt = organisations.list_organisations(
            session=session,
            level=level,
            unit_code=unit,
            sector=sector,
            page=cli_page(limit, cursor),
        )
        found = [organisations.to_read(o) for o in rows]
    if json:
        print_json({"items": found, "next_cursor": nxt})
        return
    print_table("Organisations", ORG_COLUMNS, [_org_row(o) for o in found])
    if nxt:
        typer.echo(f"next cursor: {nxt}")


@orgs_app.command("deactivate")
def orgs_deactivate(code: str, json: Json = False) -> None:
    """Deactivate an organisation (kept for history)."""
    with cli_session() as session:
        org = organisations.to_read(
            organisations.set_active(session=session, **_who(), code=code, active=False)
        )
    print_json(org) if json else print_table("Deactivated", ORG_COLUMNS, [_org_row(org)])


@orgs_app.command("import")
def orgs_import(path: Path, json: Json = False) -> None:
    """Create organisations from a UTF-8 CSV; rejected rows are reported."""
    text = path.read_text("utf-8-sig")
    with cli_session() as session:
        result = organisations.import_csv(session=session, **_who(), text=text)
    if json:
        print_json(result)
        return
    typer.echo(
        f"read {result.read}, created {result.created}, rejected rows "
        f"{len({r.row for r in result.rejected})}"
    )
    if result.rejected:
        print_table(
            "Rejected",
            ("row", "field", "code", "message"),
            [(r.row, r.field, r.code, r.message) for r in result.rejected],
        )


SYSTEM_COLUMNS = ("organisation", "code", "name", "status", "last seen")


def _system_row(s: systems.SystemRead) -> tuple[object, ...]:
    return (s.organisation_code, s.code, s.name, s.status, s.last_seen_at)


@systems_app.command("create")
def systems_create(
    org: str, code: str, name: Annotated[str, typer.Option()], json: Json = False
) -> None:
    """Register an information system of an organisation."""
    with cli_session() as session:
        system = systems.to_read(
            systems.create_system(
                session=session, **_who(), organisation=org, data=SystemCreate(code=code, name=name)
            )
        )
    print_json(system) if json else print_table("Created", SYSTEM_COLUMNS, [_system_row(system)])


@systems_app.command("list")
def systems_list(org: str, json: Json = False) -> None:
    """An organisation's systems."""
    with cli_session() as session:
        rows, _ = systems.list_systems(session=session, organisation=org, page=cli_page(MAX_LIMIT))
        found = [systems.to_read(s) for s in rows]
    print_json(found) if json else print_table(
        "Systems", SYSTEM_COLUMNS, [_system_row(s) for s in found]
    )


@systems_app.command("set-status")
def systems_set_status(org: str, code: str, status: SystemStatus, json: Json = False) -> None:
    """Mark a system registered, connected or suspended."""
    data = SystemUpdate(status=status)
    with cli_session() as session:
        system = systems.to_read(
            systems.update_system(session=session, **_who(), organisation=org, code=code, data=data)
        )
    print_json(system) if json else print_table("Updated", SYSTEM_COLUMNS, [_system_row(system)])


@systems_app.command("issue-credential")
def systems_issue_credential(
    org: str,
    code: str,
    json: Json = False,
    tls_client_name: Annotated[
        str | None,
        typer.Option(
            help="Authenticate with a TLS client certificate of this subject DN or "
            "alternative name (tls_client_auth) instead of a secret"
        ),
    ] = None,
) -> None:
    """A new client id and secret (the secret is shown this once), or a client id that
    authenticates with a TLS client certificate."""
    with cli_session() as session:
        credential, secret = systems.issue_credential(
            session=session,
            **_who(),
            organisation=org,
            system=code,
            tls_client_name=tls_client_name,
        )
        issued = CredentialIssued(
            client_id=credential.client_id,
            created_at=credential.created_at,
            revoked_at=None,
            tls_client_name=credential.tls_client_name,
            client_secret=secret,
        )
    if json:
        print_json(issued)
    elif secret is None:
        typer.echo(f"client_id: {issued.client_id}\ncertificate: {issued.tls_client_name}")
    else:
        typer.echo(
            f"client_id: {issued.client_id}\nclient_secret: {issued.client_secret}\n"
            "(the secret is not stored and will not be shown again)"
        )


@systems_app.command("credentials")
def systems_credentials(org: str, code: str, json: Json = False) -> None:
    """A system's credentials (never their secrets)."""
    with cli_session() as session:
        found = [
            CredentialRead.model_validate(c)
            for c in systems.list_credentials(session=session, organisation=org, system=code)
        ]
    print_json(found) if json else print_table(
        "Credentials",
        ("client id", "created", "revoked"),
        [(c.client_id, c.created_at, c.revoked_at) for c in found],
    )


@systems_app.command("rotate-credential")
def systems_rotate(org: str, code: str, client_id: str, json: Json = False) -> None:
    """A new secret for a client id; the old one stops working at once."""
    with cli_session() as session:
        credential, secret = systems.rotate_credential(
            session=session, **_who(), organisation=org, system=code, client_id=client_id
        )
        issued = CredentialIssued(
            client_id=credential.client_id,
            created_at=credential.created_at,
            revoked_at=None,
            client_secret=secret,
        )
    print_json(issued) if json else typer.echo(
        f"client_id: {issued.client_id}\nclient_secret: {issued.client_secret}"
    )


@systems_app.command("revoke-credential")
def systems_revoke(org: str, code: str, client_id: str, json: Json = False) -> None:
    """Revoke a credential."""
    with cli_session() as session:
        credential = CredentialRead.model_validate(
            systems.revoke_credential(
                session=session, **_who(), organisation=org, system=code, client_id=client_id
            )
        )
    print_json(credential) if json else typer.echo(f"revoked {credential.client_id}")


@report_app.command("connections")
def report_connections(
    province: Annotated[str | None, typer.Option(help="Province code: by commune")] = None,
    version: VersionOpt = None,
    json: Json = False,
) -> None:
    """How many organisations have at least one connected system."""
    with cli_session() as session:
        result = report.connection_report(session=session, version=version, province=province)
    if json:
        print_json(result)
        return
    columns = ("key", "name", "organisations", "connected", "%")
    typer.echo(f"{result.connected}/{result.organisations} connected ({result.percent}%)")
    print_table(
        "By level",
        columns,
        [(r.key, r.name, r.organisations, r.connected, r.percent) for r in result.by_level],
    )
    print_table(
        "By unit",
        columns,
        [(r.key, r.name, r.organisations, r.connected, r.percent) for r in result.by_unit],
    )
