"""The console's pages, under ``/console`` (``/`` leads there). Each page declares who may see
it (``Page``); the pages of later slices (uploads, grant inbox, audit, linkage review) join
``navigation.SECTIONS`` and this router the same way."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.staticfiles import PathLike
from starlette.types import Scope

from lienthong.console import overview
from lienthong.console.access import Page, Viewer, check_pages, form_checked, viewer_of
from lienthong.console.credentials import may_manage
from lienthong.console.devsignin import keep_presession
from lienthong.console.navigation import PREFIX
from lienthong.console.render import WELCOME, ConsoleRoute, finish, gettext, render
from lienthong.errors import NotFound
from lienthong.http.deps import client_host
from lienthong.http.permissions import Permission as P
from lienthong.paging import DEFAULT_LIMIT, PageRequest
from lienthong.registry import organisations, systems, units
from lienthong.registry.catalogue import Catalogue, CatalogueCache
from lienthong.registry.schemas import Level
from lienthong.signin import development
from lienthong.signin.service import sign_out
from lienthong.signin.views import SESSION_COOKIE

STATIC = Path(__file__).resolve().parent / "static"
Text = Annotated[str | None, Query(max_length=200)]


router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
root = APIRouter(include_in_schema=False)

Anyone = Annotated[Viewer, Depends(Page(None))]
Leader = Annotated[Viewer, Depends(Page(P.reports_read))]
Reader = Annotated[Viewer, Depends(Page(P.registry_read))]


def _page(request: Request, cursor: str | None, viewer: Viewer) -> PageRequest:
    return PageRequest(
        seal=request.app.state.cursors, limit=DEFAULT_LIMIT, cursor=cursor
    ).for_caller("person", viewer.person.id)


@root.get("/")
def home_redirect() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=303)


@router.get("/welcome")
def welcome(request: Request, next: Text = None) -> Response:
    """The sign-in page; a signed-in person goes on to where they were headed."""
    target = next if next and next.startswith(f"{PREFIX}/") else f"{PREFIX}/"
    if viewer_of(request) is not None:
        response = RedirectResponse(target, status_code=303)
        finish(request, response)
        return response
    settings = request.app.state.settings
    signin_on = settings.signin_issuer is not None
    if not development.enabled(settings):
        return render(request, "welcome.html", signin_on=signin_on)
    token = secrets.token_urlsafe(24)
    page = render(
        request,
        "welcome.html",
        signin_on=signin_on,
        next=target,
        sample=development.SAMPLE_PEOPLE,
        token=token,
    )
    keep_presession(page, token)
    return page


@router.get("/")
def home(request: Request, viewer: Anyone) -> HTMLResponse:
    return render(request, "home.html", viewer=viewer)


@router.post("/logout")
def logout(
    request: Request, viewer: Anyone, _form: Annotated[dict[str, str], Depends(form_checked)]
) -> Response:
    with request.app.state.sessions() as session, session.begin():
        sign_out(
            session=session,
            settings=request.app.state.settings,
            session_cookie_value=request.cookies.get(SESSION_COOKIE),
            ip=client_host(request),
        )
    response = RedirectResponse(WELCOME, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    finish(request, response)
    return response


@router.get("/overview")
def overview_page(request: Request, viewer: Leader) -> HTMLResponse:
    with request.app.state.sessions() as session:
        tables = overview.tables(
            session=session, today=datetime.now(UTC).date(), _=gettext(request)
        )
    return render(
        request,
        "overview.html",
        viewer=viewer,
        tables=tables,
        summary=overview.summary(tables_=tables),
    )


@router.get("/overview/{name}.csv")
def overview_csv(request: Request, name: str, viewer: Leader) -> Response:
    with request.app.state.sessions() as session:
        found = overview.tables(
            session=session, today=datetime.now(UTC).date(), _=gettext(request), only=name
        )
    if not found:
        raise NotFound(f"no figure {name!r}", code="not-found")
    response = Response(
        overview.as_csv(found[0]),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.csv"'},
    )
    finish(request, response)
    return response


@router.get("/registry/units")
def units_page(
    request: Request,
    viewer: Reader,
    version: Text = None,
    q: Text = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> HTMLResponse:
    catalogue = _catalogue(request)
    chosen = units.pick_version(catalogue.versions, version=version or None)
    found, nxt = [], None
    if q and q.strip():
        with request.app.state.sessions() as session:
            rows, nxt = units.search(
                session=session,
                query=q,
                version=chosen.id,
                page=_page(request, cursor, viewer),
            )
        found = [catalogue.units[(u.version_id, u.code)] for u in rows]
    else:
        found = [
            u for (v, _), u in catalogue.units.items() if v == chosen.id and u.level == "province"
        ]
    return render(
        request,
        "units.html",
        viewer=viewer,
        versions=catalogue.versions,
        chosen=chosen,
        q=q or "",
        units=found,
        next_cursor=nxt,
    )


@router.get("/registry/units/{code}")
def unit_page(request: Request, code: str, viewer: Reader, version: Text = None) -> HTMLResponse:
    catalogue = _catalogue(request)
    detail = catalogue.detail(code=code, version=version or None)
    chosen = detail.unit.version_id
    in_versions = [(v, catalogue.units.get((v.id, code))) for v in catalogue.versions]
    with request.app.state.sessions() as session:
        _, after = units.successors(session=session, code=code, version=chosen)
        _, before = units.predecessors(session=session, code=code, version=chosen)
    return render(
        request,
        "unit.html",
        viewer=viewer,
        detail=detail,
        in_versions=in_versions,
        successors=after,
        predecessors=before,
    )


@router.get("/registry/organisations")
def organisations_page(
    request: Request,
    viewer: Reader,
    level: Text = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> HTMLResponse:
    chosen = Level(level) if level in {lv.value for lv in Level} else None
    with request.app.state.sessions() as session:
        rows, nxt = organisations.list_organisations(
            session=session,
            level=chosen,
            codes=viewer.organisations(P.registry_read),
            page=_page(request, cursor, viewer),
        )
        found = [organisations.to_read(o) for o in rows]
    return render(
        request,
        "organisations.html",
        viewer=viewer,
        organisations=found,
        levels=list(Level),
        level=chosen,
        next_cursor=nxt,
    )


@router.get("/registry/systems")
def systems_page(
    request: Request,
    viewer: Reader,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        rows, nxt = systems.list_all_systems(
            session=session,
            organisations=viewer.organisations(P.registry_read),
            page=_page(request, cursor, viewer),
        )
        found = [systems.to_read(s) for s in rows]
    return render(
        request,
        "systems.html",
        viewer=viewer,
        systems=found,
        next_cursor=nxt,
        may_manage=partial(may_manage, viewer),
    )


@router.get("/{rest:path}")
def not_found(request: Request, rest: str) -> HTMLResponse:
    viewer = viewer_of(request)
    return render(
        request,
        "error.html",
        viewer=viewer,
        status=404,
        error=NotFound(f"no page /console/{rest}"),
    )


def _catalogue(request: Request) -> Catalogue:
    cache: CatalogueCache = request.app.state.unit_catalogue
    return cache.get()


class Assets(StaticFiles):
    """The console's own files, cached by browsers for a day (the pages name them with the
    version, so a new release is fetched anew); the vendored scripts compressed ahead of time
    (``.gz`` beside them) for browsers that accept gzip: ECharts is 700 kB, 230 kB so."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        accepts = Headers(scope=scope).get("accept-encoding", "")
        if path.endswith(".js") and "gzip" in accepts and (STATIC / f"{path}.gz").is_file():
            response = await super().get_response(f"{path}.gz", scope)
            response.headers["content-type"] = "text/javascript; charset=utf-8"
            response.headers["content-encoding"] = "gzip"
            response.headers["vary"] = "Accept-Encoding"
            return response
        return await super().get_response(path, scope)

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "public, max-age=86400"
        return response


def assets() -> StaticFiles:
    return Assets(directory=STATIC)


PUBLIC_PAGES = (f"{PREFIX}/welcome", f"{PREFIX}/{{rest:path}}")
check_pages(router, PUBLIC_PAGES)  # deny by default, checked on import
