"""Standards commands: ``lienthong standards …`` and ``lienthong codelists …``."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.errors import ValidationFailed
from lienthong.paging import DEFAULT_LIMIT
from lienthong.standards import codelists, service
from lienthong.standards.schemas import CodeEntry, CodeListRead, CodeListSummary, StandardRead
from lienthong.terminal import cli_page, cli_session, print_json, print_table

standards_app = typer.Typer(help="Data standards (Table Schema, versioned).", no_args_is_help=True)
codelists_app = typer.Typer(help="Shared code lists (versioned).", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Version = Annotated[int | None, typer.Option("--version", help="Standard version.")]


def _row(s: StandardRead) -> tuple[object, ...]:
    return (s.name, s.version, s.status, s.title, len(s.breaking or []), s.retire_on or "")


COLUMNS = ("name", "version", "status", "title", "breaking changes", "retires on")


@standards_app.command("list")
def standards_list(status: str | None = None, limit: int = 100, json: Json = False) -> None:
    """List standard versions."""
    with cli_session() as session:
        rows, _ = service.list_standards(session=session, status=status, page=cli_page(limit))
        found = [StandardRead.model_validate(s) for s in rows]
    if json:
        print_json(found)
        return
    print_table("Standards", COLUMNS, [_row(s) for s in found])


@standards_app.command("show")
def standards_show(name: str, version: Version = None, json: Json = False) -> None:
    """A standard version: its fields and constraints."""
    with cli_session() as session:
        found = StandardRead.model_validate(
            service.get_standard(session=session, name=name, version=version)
        )
    if json:
        print_json(found)
        return
    print_table(f"{found.name} v{found.version} ({found.status})", COLUMNS, [_row(found)])
    fields = found.document.get("fields", [])
    print_table(
        "Fields",
        ("name", "type", "constraints", "code list", "identifier"),
        [
            (
                f["name"],
                f.get("type", "string"),
                jsonlib.dumps(f.get("constraints", {}), ensure_ascii=False),
                f.get("lienthong:codelist", ""),
                f.get("lienthong:identifier", ""),
            )
            for f in fields
        ],
    )
    for change in found.breaking or []:
        typer.echo(f"breaking: {change['field']}: {change['code']} ({change['message']})")


@standards_app.command("create")
def standards_create(path: Path) -> None:
    """Add a draft from a Table Schema JSON file."""
    try:
        document = jsonlib.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationFailed.on("file", "invalid-standard", f"cannot read {path}: {exc}") from exc
    with cli_session() as session:
        found = StandardRead.model_validate(
            service.create_standard(session=session, document=document)
        )
    typer.echo(f"created draft {found.name} v{found.version}")


@standards_app.command("publish")
def standards_publish(
    name: str,
    version: int,
    breaking: Annotated[
        bool, typer.Option("--breaking", help="Publish although it breaks the current version.")
    ] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required with --breaking).")
    ] = None,
) -> None:
    """Publish a draft (then immutable). A version with breaking changes is refused, listing
    them, unless --breaking --reason "…" is given."""
    with cli_session() as session:
        found = StandardRead.model_validate(
            service.publish(
                session=session,
                settings=get_settings(),
                name=name,
                version=version,
                actor=cli_actor(),
                breaking=breaking,
                reason=reason,
            )
        )
    typer.echo(f"published {found.name} v{found.version}")
    for change in found.breaking or []:
        typer.echo(f"breaking: {change['field']}: {change['code']} ({change['message']})")
    if found.breaking_reason:
        typer.echo(f"reason: {found.breaking_reason}")


@standards_app.command("deprecate")
def standards_deprecate(name: str, version: int) -> None:
    """Deprecate a published version."""
    with cli_session() as session:
        service.deprecate(session=session, name=name, version=version)
    typer.echo(f"deprecated {name} v{version}")


@codelists_app.command("list")
def codelists_list(json: Json = False) -> None:
    """Every version of every code list."""
    with cli_session() as session:
        found = [CodeListSummary(**c) for c in codelists.list_codelists(session=session)]
    if json:
        print_json(found)
        return
    print_table(
        "Code lists",
        ("name", "version", "from", "to", "size", "title"),
        [(c.name, c.version, c.valid_from, c.valid_to, c.size, c.title) for c in found],
    )


@codelists_app.command("show")
def codelists_show(
    name: str,
    version: Annotated[str | None, typer.Option("--version")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Codes per page.")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, typer.Option("--cursor", help="next_cursor of a page.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every code, not one page.")] = False,
    json: Json = False,
) -> None:
    """The codes of a code list (the version in force today unless --version), one page."""
    with cli_session() as session:
        found = codelists.get_codelist(session=session, name=name, version=version)
    if every:
        entries, nxt = sorted(found.entries.items()), None
    else:
        entries, nxt = codelists.entries_page(found, page=cli_page(limit, cursor))
    read = CodeListRead(
        name=found.name,
        version=found.version,
        title=found.title,
        valid_from=found.valid_from,
        valid_to=found.valid_to,
        items=[CodeEntry(code=c, label=v) for c, v in entries],
        next_cursor=nxt,
    )
    if json:
        print_json(read)
        return
    print_table(
        f"{read.name} {read.version}: {read.title}",
        ("code", "label"),
        [(e.code, e.label) for e in read.items],
    )
    if nxt:
        typer.echo(f"next page: --cursor {nxt}")
