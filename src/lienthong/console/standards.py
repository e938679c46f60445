"""The standards pages: every standard with its published versions, and two versions of one
side by side, field by field, with the changes that break a consumer of the older one
highlighted.

Who may look: anyone signed in, as ``GET /api/v1/standards`` is open to anyone; drafts are
not shown, as the API does not show them. Which changes break is the standards domain's own
judgement (``schema.breaking_changes``, the one publishing applies); this module only lays out
what differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from lienthong.bounds import Id
from lienthong.codes import error_codes
from lienthong.console.access import Page, Viewer, check_pages
from lienthong.console.i18n import chosen
from lienthong.console.navigation import N_, PREFIX
from lienthong.console.render import ConsoleRoute, render
from lienthong.paging import DEFAULT_LIMIT, PageRequest
from lienthong.standards import service
from lienthong.standards.models import Standard
from lienthong.standards.schema import FieldSpec, StandardSpec, breaking_changes

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

# The API's standards reads are public: the pages ask only that the person be signed in.
Anyone = Annotated[Viewer, Depends(Page(None))]

# What a field declares, in the order the pages list it: (label msgid, FieldSpec attribute).
ASPECTS: tuple[tuple[str, str], ...] = (
    (N_("Type"), "type"),
    (N_("Required"), "required"),
    (N_("Code list"), "codelist"),
    (N_("Administrative level"), "level"),
    (N_("Identifier"), "identifier"),
    (N_("Unique"), "unique"),
    (N_("Minimum length"), "min_length"),
    (N_("Maximum length"), "max_length"),
    (N_("Minimum"), "minimum"),
    (N_("Maximum"), "maximum"),
    (N_("Exclusive minimum"), "exclusive_minimum"),
    (N_("Exclusive maximum"), "exclusive_maximum"),
    (N_("Pattern"), "pattern"),
    (N_("Allowed values"), "enum"),
)

STATUSES = (N_("Published"), N_("Deprecated"))  # a version's status, as the list shows it


def _published(session: Session, request: Request, viewer: Viewer) -> list[Standard]:
    """Every published or deprecated version (the API's listing, all its pages: a short list)."""
    page = PageRequest(seal=request.app.state.cursors, limit=DEFAULT_LIMIT).for_caller(
        "person", viewer.person.id
    )
    found: list[Standard] = []
    while True:
        rows, nxt = service.list_standards(session=session, page=page, drafts=False)
        found.extend(rows)
        if nxt is None:
            return found
        page = replace(page, cursor=nxt)


@router.get("/standards")
def standards_page(request: Request, viewer: Anyone) -> HTMLResponse:
    with request.app.state.sessions() as session:
        versions = _published(session, request, viewer)
    by_name: dict[str, list[Standard]] = {}
    for standard in sorted(versions, key=lambda s: (s.name, s.version)):
        by_name.setdefault(standard.name, []).append(standard)
    return render(request, "standards_list.html", viewer=viewer, standards=by_name)


@dataclass(frozen=True)
class Change:
    label: str  # a msgid
    before: str | bool | None
    after: str | bool | None


def shown(value: Any) -> str | bool | None:
    """A declared value as the pages print it (a list as its items; a flag stays a flag)."""
    if isinstance(value, tuple):
        return ", ".join(value)
    if value is None or isinstance(value, bool):
        return value
    return str(value)


@dataclass(frozen=True)
class FieldRow:
    """One field across the two versions: ``before``/``after`` None where it is absent."""

    name: str
    before: FieldSpec | None
    after: FieldSpec | None
    document: dict[str, Any]  # the field's own JSON, for its titles and headers
    changes: tuple[Change, ...]
    breaking: tuple[tuple[str, str], ...]  # (code, meaning in the page's language)

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed" if self.changes else "same"


def _declared(spec: FieldSpec) -> list[tuple[str, str | bool | None]]:
    """The aspects a field declares (a false or empty one is left out)."""
    return [
        (label, shown(getattr(spec, attr)))
        for label, attr in ASPECTS
        if getattr(spec, attr) not in (None, False, ())
    ]


def _changes(before: FieldSpec, after: FieldSpec) -> tuple[Change, ...]:
    return tuple(
        Change(label, shown(getattr(before, attr)), shown(getattr(after, attr)))
        for label, attr in ASPECTS
        if getattr(before, attr) != getattr(after, attr)
    )


def _documents(standard: Standard) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in standard.document.get("fields", []) if isinstance(f, dict)}


def compare(
    old: Standard, new: Standard, meaning: Callable[[str], str]
) -> tuple[list[FieldRow], list[tuple[str, str]]]:
    """The fields of both versions (``new``'s order, then those it dropped), and the breaking
    changes that name no field (the primary key)."""
    before_spec, after_spec = service.spec_of(old), service.spec_of(new)
    breaking: dict[str, list[tuple[str, str]]] = {}
    for change in breaking_changes(before_spec, after_spec):
        where = change["field"] if change["code"] != "changed-key" else ""
        breaking.setdefault(where, []).append((change["code"], meaning(change["code"])))
    old_docs, new_docs = _documents(old), _documents(new)
    rows = []
    for name in after_spec.field_names + [
        n for n in before_spec.field_names if n not in after_spec.field_names
    ]:
        before = _field(before_spec, name)
        after = _field(after_spec, name)
        changes = _changes(before, after) if before and after else ()
        rows.append(
            FieldRow(
                name=name,
                before=before,
                after=after,
                document=new_docs.get(name) or old_docs.get(name) or {},
                changes=changes,
                breaking=tuple(breaking.get(name, ())),
            )
        )
    return rows, breaking.get("", [])


def _field(spec: StandardSpec, name: str) -> FieldSpec | None:
    try:
        return spec.field(name)
    except KeyError:
        return None


@router.get("/standards/{name}")
def compare_page(
    request: Request,
    viewer: Anyone,
    name: str,
    older: Annotated[Id | None, Query(alias="from")] = None,
    newer: Annotated[Id | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """``from`` and ``to`` default to the latest version and the one before it; an unknown
    standard, or a version that is not published (or deprecated), is 404 ``unknown-standard``."""
    with request.app.state.sessions() as session:
        numbers = sorted(s.version for s in _published(session, request, viewer) if s.name == name)
        if not numbers:
            raise service.unknown(name)
        newer = newer or numbers[-1]
        if older is None:
            earlier = [n for n in numbers if n < newer]
            older = earlier[-1] if earlier else newer
        old = service.get_standard(session=session, name=name, version=older, drafts=False)
        new = service.get_standard(session=session, name=name, version=newer, drafts=False)
        codes = error_codes()
        vi = chosen(request) == "vi"

        def meaning(code: str) -> str:
            """The registered meaning, without its "breaking-change-unconfirmed detail:"."""
            known = codes.get(code)
            text = (known.vi if vi else known.en) if known else code
            return text.split(": ", 1)[-1] if "breaking-change-unconfirmed" in text else text

        rows, key_changes = compare(old, new, meaning)
        return render(
            request,
            "standards_compare.html",
            viewer=viewer,
            name=name,
            old=old,
            new=new,
            numbers=numbers,
            rows=rows,
            key_changes=key_changes,
            declared=_declared,
            breaking_count=sum(len(r.breaking) for r in rows) + len(key_changes),
        )


check_pages(router, public=())
