"""Standards and code-list routes: reads are open, changes need the operator token."""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status

from lienthong.bounds import Id
from lienthong.http.callers import actor_of, permit
from lienthong.http.deps import SessionDep
from lienthong.http.paging import Paging
from lienthong.http.permissions import Permission as P
from lienthong.paging import Page
from lienthong.standards import codelists, service
from lienthong.standards.schemas import (
    CodeEntry,
    CodeListRead,
    CodeListSummary,
    PublishRequest,
    StandardRead,
)

router = APIRouter()
Document = Annotated[dict[str, Any], Body(description="A Table Schema document")]


def _read(standard: object) -> StandardRead:
    return StandardRead.model_validate(standard)


@router.get("/standards", response_model=Page[StandardRead], tags=["standards"])
def list_standards(
    session: SessionDep, paging: Paging, status: str | None = None
) -> Page[StandardRead]:
    """Published and deprecated versions (drafts are not public), with retirement days."""
    rows, nxt = service.list_standards(session=session, status=status, page=paging, drafts=False)
    return Page(items=[_read(s) for s in rows], next_cursor=nxt)


@router.post(
    "/standards",
    response_model=StandardRead,
    tags=["standards"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[permit(P.standards_manage)],
)
def create_standard(session: SessionDep, document: Document) -> StandardRead:
    """Add a draft version (version defaults to the next one)."""
    return _read(service.create_standard(session=session, document=document))


@router.get("/standards/{name}", response_model=StandardRead, tags=["standards"])
def get_standard(session: SessionDep, name: str, version: Id | None = None) -> StandardRead:
    """The given version, or the latest published one (never a draft)."""
    return _read(service.get_standard(session=session, name=name, version=version, drafts=False))


@router.put(
    "/standards/{name}/{version}",
    response_model=StandardRead,
    tags=["standards"],
    dependencies=[permit(P.standards_manage)],
)
def update_draft(session: SessionDep, name: str, version: Id, document: Document) -> StandardRead:
    return _read(
        service.update_draft(session=session, name=name, version=version, document=document)
    )


@router.post(
    "/standards/{name}/{version}/publish",
    response_model=StandardRead,
    tags=["standards"],
    dependencies=[permit(P.standards_manage)],
)
def publish(
    request: Request,
    session: SessionDep,
    name: str,
    version: Id,
    body: PublishRequest | None = None,
) -> StandardRead:
    """Publish a draft; ``breaking`` lists what changed incompatibly. A version with breaking
    changes needs ``{"breaking": true, "reason": "…"}`` (else 409
    ``breaking-change-unconfirmed``, one detail per change)."""
    body = body or PublishRequest()
    return _read(
        service.publish(
            session=session,
            settings=request.app.state.settings,
            name=name,
            version=version,
            actor=actor_of(request),
            breaking=body.breaking,
            reason=body.reason,
        )
    )


@router.post(
    "/standards/{name}/{version}/deprecate",
    response_model=StandardRead,
    tags=["standards"],
    dependencies=[permit(P.standards_manage)],
)
def deprecate(session: SessionDep, name: str, version: Id) -> StandardRead:
    return _read(service.deprecate(session=session, name=name, version=version))


@router.get("/codelists", response_model=Page[CodeListSummary], tags=["standards"])
def list_codelists(session: SessionDep) -> Page[CodeListSummary]:
    """Every version of every shared code list (a short list: one page)."""
    found = codelists.list_codelists(session=session)
    return Page(items=[CodeListSummary(**c) for c in found])


@router.get("/codelists/{name}", response_model=CodeListRead, tags=["standards"])
def get_codelist(
    session: SessionDep,
    paging: Paging,
    name: str,
    version: str | None = None,
    on: Annotated[Date | None, Query(alias="date")] = None,
) -> CodeListRead:
    """One version of a code list with one page of its codes (ordered by code)."""
    found = codelists.get_codelist(session=session, name=name, version=version, on=on)
    entries, nxt = codelists.entries_page(found, page=paging)
    return CodeListRead(
        name=found.name,
        version=found.version,
        title=found.title,
        valid_from=found.valid_from,
        valid_to=found.valid_to,
        items=[CodeEntry(code=c, label=label) for c, label in entries],
        next_cursor=nxt,
    )
