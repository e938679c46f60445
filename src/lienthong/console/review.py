"""Linkage review pages: the queue of uncertain pairs, and each pair's two records side by side
with the level each comparison reached; people holding ``linkage.decide`` accept or reject it
through the linkage service, audited as the API's decision routes audit it.

The records' fields are read from the store (the current version of each dataset), the fields
the linkage compares (linkage/data/sources.json); the levels and weights are the review item's
own evidence, as the linking run scored the pair.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lienthong.bounds import Id
from lienthong.console.access import Page, Viewer, check_pages, form_checked
from lienthong.console.navigation import N_, PREFIX
from lienthong.console.render import ConsoleRoute, finish, gettext, render
from lienthong.http.permissions import Permission as P
from lienthong.linkage import review
from lienthong.linkage.models import Review
from lienthong.linkage.spec import load_sources
from lienthong.paging import DEFAULT_LIMIT, PageRequest
from lienthong.store.service import get_records

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)

Reader = Annotated[Viewer, Depends(Page(P.linkage_read))]
Decider = Annotated[Viewer, Depends(Page(P.linkage_decide))]
Form = Annotated[dict[str, str], Depends(form_checked)]
Cursor = Annotated[str | None, Query(max_length=2048)]

# The fields shown side by side: the linkage's standard names (sources.json), in this order.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", N_("Full name")),
    ("date_of_birth", N_("Date of birth")),
    ("birth_year", N_("Year of birth")),
    ("sex", N_("Sex")),
    ("id", N_("ID")),
    ("document_type", N_("ID document type")),
    ("document_number", N_("ID document number")),
    ("commune_code", N_("Commune")),
)

# The comparisons of linkage/data/person.json and business.json.
COMPARISONS = {
    "family": N_("Family name"),
    "given": N_("Given name"),
    "middle": N_("Middle name"),
    "dob": N_("Date of birth"),
    "sex": N_("Sex"),
    "commune": N_("Commune"),
    "personal_id": N_("Personal ID"),
    "id_document": N_("ID document"),
    "name": N_("Full name"),
    "tax_code": N_("Tax code"),
}

# The levels' labels of those comparisons (label_for_charts), as they stand in the evidence.
LEVELS = {
    "null": N_("no value to compare"),
    "null or different types": N_("no value, or documents of different types"),
    "exact": N_("the same"),
    "exact with diacritics": N_("the same, diacritics included"),
    "exact without diacritics": N_("the same once diacritics are removed"),
    "same words in another order": N_("the same words in another order"),
    "sounds alike or one typo": N_("sounds alike or one typo"),
    "sounds alike": N_("sounds alike"),
    "one typo": N_("one typo"),
    "one typo or fuzzy": N_("one typo or close"),
    "fuzzy close": N_("very close"),
    "fuzzy": N_("close"),
    "different": N_("different"),
    "day and month swapped": N_("day and month swapped"),
    "same year and month": N_("same year and month"),
    "same year, one side knows only the year": N_("same year, one side knows only the year"),
    "same year": N_("same year"),
    "same commune after succession": N_("the same commune after the units' succession"),
    "one digit wrong or two swapped": N_("one digit wrong or two swapped"),
    "contradicts birth data": N_("contradicts the birth date or sex"),
    "one side only, consistent": N_("on one side only, consistent with the birth data"),
    "same type and number": N_("same document type and number"),
    "same type, different number": N_("same document type, different number"),
}

DATA_LABELS = (N_("Pending"), N_("Accepted"), N_("Rejected"), N_("Person"), N_("Business"))


@dataclass(frozen=True)
class Side:
    dataset: str
    key: str
    fields: dict[str, Any]  # standard name -> value; empty when the record is gone

    @property
    def name(self) -> str:
        value = self.fields.get("name")
        return str(value) if value not in (None, "") else ""


@dataclass(frozen=True)
class Level:
    comparison: str
    level: str
    weight: float | None


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    status: str
    weight: float
    left: Side
    right: Side
    levels: list[Level]
    decided_by: str | None


def _sides(
    session: Session, kind: str, refs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Side]:
    """The records ``(dataset, key)`` with the fields the linkage reads of them, one store
    read per dataset."""
    fields_of = {s.dataset: s.fields for s in load_sources() if s.kind == kind}
    wanted: dict[str, list[str]] = defaultdict(list)
    for dataset, key in refs:
        wanted[dataset].append(key)
    out: dict[tuple[str, str], Side] = {}
    for dataset, keys in wanted.items():
        mapping = fields_of.get(dataset, {})
        found = get_records(session=session, dataset=dataset, keys=keys) if mapping else []
        by_key = {str(r["_key"]): r for r in found}
        for key in keys:
            row = by_key.get(key, {})
            values = {name: row.get(column) for name, column in mapping.items() if row}
            out[(dataset, key)] = Side(dataset, key, values)
    return out


def _levels(evidence: dict[str, Any], say: Callable[[str], str]) -> list[Level]:
    reached = evidence.get("levels") or {}
    out = []
    for name, label in reached.items():
        weight = evidence.get(name)
        out.append(
            Level(
                comparison=say(COMPARISONS[name]) if name in COMPARISONS else name,
                level=say(LEVELS[label]) if label in LEVELS else str(label or "–"),
                weight=float(weight) if isinstance(weight, int | float) else None,
            )
        )
    return out


def _items(session: Session, found: list[Review], say: Callable[[str], str]) -> list[Item]:
    sides: dict[tuple[str, str], Side] = {}
    for kind in {r.kind for r in found}:
        refs = [
            ref
            for r in found
            if r.kind == kind
            for ref in ((r.left_dataset, r.left_key), (r.right_dataset, r.right_key))
        ]
        sides |= _sides(session, kind, refs)
    return [
        Item(
            id=r.id,
            kind=r.kind,
            status=r.status,
            weight=r.match_weight,
            left=sides[(r.left_dataset, r.left_key)],
            right=sides[(r.right_dataset, r.right_key)],
            levels=_levels(json.loads(r.evidence) if r.evidence else {}, say),
            decided_by=r.decided_by,
        )
        for r in found
    ]


@router.get("/linkage/reviews")
def reviews_page(request: Request, viewer: Reader, cursor: Cursor = None) -> HTMLResponse:
    """The pending pairs in the queue's order (the most consequential first, as queued)."""
    page = PageRequest(
        seal=request.app.state.cursors, limit=DEFAULT_LIMIT, cursor=cursor
    ).for_caller("person", viewer.person.id)
    with request.app.state.sessions() as session:
        found, nxt = review.list_reviews(session=session, status="pending", page=page)
        items = _items(session, found, gettext(request))
    return render(request, "review_list.html", viewer=viewer, items=items, next_cursor=nxt)


@router.get("/linkage/reviews/{review_id}")
def review_page(request: Request, review_id: Id, viewer: Reader) -> HTMLResponse:
    with request.app.state.sessions() as session:
        found = review.get_review(session=session, review_id=review_id)
        item = _items(session, [found], gettext(request))[0]
    fields = [
        (label, item.left.fields.get(name), item.right.fields.get(name))
        for name, label in FIELDS
        if item.left.fields.get(name) not in (None, "")
        or item.right.fields.get(name) not in (None, "")
    ]
    return render(
        request,
        "review_item.html",
        viewer=viewer,
        item=item,
        fields=fields,
        may_decide=viewer.may(P.linkage_decide),
    )


def _next_pending(request: Request, session: Session) -> int | None:
    first, _ = review.list_reviews(
        session=session, status="pending", page=PageRequest(seal=request.app.state.cursors, limit=1)
    )
    return first[0].id if first else None


def _decide(request: Request, viewer: Viewer, review_id: int, decision: str) -> Response:
    """The API's decision: the same service, audited with the person as actor; then the next
    pending pair, or the queue when none is left."""
    with request.app.state.sessions() as session, session.begin():
        review.decide(
            session=session,
            review_id=review_id,
            decision=decision,
            settings=request.app.state.settings,
            actor=viewer.person.actor(),
        )
        after = _next_pending(request, session)
    target = f"{PREFIX}/linkage/reviews" + (f"/{after}" if after is not None else "")
    response = RedirectResponse(f"{target}?decided={review_id}", status_code=303)
    finish(request, response)
    return response


@router.post("/linkage/reviews/{review_id}/accept")
def accept(request: Request, review_id: Id, viewer: Decider, _form: Form) -> Response:
    return _decide(request, viewer, review_id, "accepted")


@router.post("/linkage/reviews/{review_id}/reject")
def reject(request: Request, review_id: Id, viewer: Decider, _form: Form) -> Response:
    return _decide(request, viewer, review_id, "rejected")


check_pages(router, ())  # deny by default, checked on import
