"""DTI indicator sets as versioned data: parse, check, store and look up.

A set (*bộ chỉ số*) is a JSON document: its main indicators with their weights (points out of
``total``), optional components (a tree), the rounding and ranking rules, and for each leaf an
optional ``estimate`` from platform facts. Any later set (e.g. Decision 405/QĐ-BKHCN, 2025)
loads without a code change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record_change
from lienthong.config import Settings
from lienthong.dti.catalogue import FACTS
from lienthong.dti.models import IndicatorSetRow
from lienthong.dti.schemas import SetRead
from lienthong.errors import Conflict, ErrorDetail, NotFound, ValidationFailed

BUILTIN_SETS = ("922-2022",)
SET_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ROUNDINGS = ("half-up",)
RANKINGS = ("competition",)
COMBINES = ("mean", "min")


@dataclass(frozen=True)
class FactRule:
    """One fact feeding an estimate; a count is divided by ``target`` (capped at 1)."""

    fact: str
    target: Decimal | None = None


@dataclass(frozen=True)
class Estimate:
    combine: str
    facts: tuple[FactRule, ...]


@dataclass(frozen=True)
class Indicator:
    """A node of the tree: a main indicator (weight in points of the total) or a component."""

    key: str
    name_vi: str
    name_en: str
    weight: Decimal
    group: str | None = None
    pillar: str | None = None
    estimate: Estimate | None = None
    components: tuple[Indicator, ...] = ()

    def walk(self) -> Iterator[Indicator]:
        yield self
        for child in self.components:
            yield from child.walk()


@dataclass(frozen=True)
class IndicatorSet:
    id: str
    title_vi: str
    title_en: str
    decision: str | None
    total: Decimal
    decimals: int
    indicators: tuple[Indicator, ...]
    document: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        """The main indicators' keys, in the set's order (the columns of a values table)."""
        return [i.key for i in self.indicators]

    def nodes(self) -> Iterator[Indicator]:
        for indicator in self.indicators:
            yield from indicator.walk()

    def node(self, key: str) -> Indicator | None:
        return next((n for n in self.nodes() if n.key == key), None)


def _bad(path: str, message: str, code: str = "invalid-indicator-set") -> ValidationFailed:
    return ValidationFailed(
        f"the indicator set is not valid: {message}",
        details=[ErrorDetail(path, code, message)],
        code="invalid-indicator-set",
    )


def _text(raw: dict[str, Any], name: str, path: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{path}.{name}", f"{name} must be a non-empty text")
    return value.strip()


def _positive(value: Any, path: str) -> Decimal:
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("nan")
    except InvalidOperation:
        number = Decimal("nan")
    if not number.is_finite() or number <= 0:
        raise _bad(path, "must be a positive number")
    return number


def _estimate(raw: Any, path: str) -> Estimate | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("facts"), list) or not raw["facts"]:
        raise _bad(path, "an estimate needs a non-empty list of facts")
    combine = raw.get("combine", "mean")
    if combine not in COMBINES:
        raise _bad(f"{path}.combine", f"combine must be one of {', '.join(COMBINES)}")
    rules = []
    for i, item in enumerate(raw["facts"]):
        where = f"{path}.facts.{i}"
        fact = item.get("fact") if isinstance(item, dict) else None
        if fact not in FACTS:
            raise _bad(f"{where}.fact", f"unknown fact {fact!r}", code="unknown-fact")
        target = item.get("target")
        if FACTS[fact].kind == "count" and target is None:
            raise _bad(f"{where}.target", "a count fact needs a target (the value worth 1)")
        rules.append(
            FactRule(fact, _positive(target, f"{where}.target") if target is not None else None)
        )
    return Estimate(combine, tuple(rules))


def _indicator(raw: Any, path: str) -> Indicator:
    if not isinstance(raw, dict):
        raise _bad(path, "an indicator must be an object")
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise _bad(f"{path}.key", "lower-case letters, digits and _ (≤ 40)")
    components = raw.get("components") or []
    if not isinstance(components, list):
        raise _bad(f"{path}.components", "components must be a list")
    children = tuple(_indicator(c, f"{path}.components.{i}") for i, c in enumerate(components))
    if children and raw.get("estimate") is not None:
        raise _bad(f"{path}.estimate", "an indicator with components is computed from them")
    return Indicator(
        key=key,
        name_vi=_text(raw, "name_vi", path) or key,
        name_en=_text(raw, "name_en", path) or key,
        weight=_positive(raw.get("weight"), f"{path}.weight"),
        group=_text(raw, "group", path, required=False),
        pillar=_text(raw, "pillar", path, required=False),
        estimate=_estimate(raw.get("estimate"), f"{path}.estimate"),
        components=children,
    )


def parse_set(document: Any) -> IndicatorSet:
    """Check a set document and return its parsed form (raises ``invalid-indicator-set``)."""
    if not isinstance(document, dict):
        raise _bad("", "an indicator set must be a JSON object")
    set_id = document.get("id")
    if not isinstance(set_id, str) or not SET_ID.fullmatch(set_id):
        raise _bad("id", "letters, digits, '.', '_' and '-' (≤ 32), e.g. 922-2022")
    if document.get("rounding", "half-up") not in ROUNDINGS:
        raise _bad("rounding", f"rounding must be one of {', '.join(ROUNDINGS)}")
    if document.get("ranking", "competition") not in RANKINGS:
        raise _bad("ranking", f"ranking must be one of {', '.join(RANKINGS)}")
    decimals = document.get("decimals", 4)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 8:
        raise _bad("decimals", "decimals must be an integer from 0 to 8")
    raw = document.get("indicators")
    if not isinstance(raw, list) or not raw:
        raise _bad("indicators", "a set needs at least one indicator")
    indicators = tuple(_indicator(r, f"indicators.{i}") for i, r in enumerate(raw))
    total = _positive(document.get("total"), "total")
    if sum(i.weight for i in indicators) != total:
        raise _bad("total", "the main indicators' weights must add up to the total")
    keys = [n.key for i in indicators for n in i.walk()]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise _bad("indicators", f"keys must be unique in the set: {', '.join(repeated)}")
    return IndicatorSet(
        id=set_id,
        title_vi=_text(document, "title_vi", "") or set_id,
        title_en=_text(document, "title_en", "") or set_id,
        decision=_text(document, "decision", "", required=False),
        total=total,
        decimals=decimals,
        indicators=indicators,
        document=document,
    )


def builtin_document(set_id: str) -> dict[str, Any]:
    text = resources.files("lienthong.dti").joinpath("data", f"{set_id}.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _row(indicator_set: IndicatorSet, *, builtin: bool) -> IndicatorSetRow:
    return IndicatorSetRow(
        id=indicator_set.id,
        title=indicator_set.title_vi,
        decision=indicator_set.decision,
        builtin=builtin,
        document=indicator_set.document,
    )


def ensure_builtin_sets(session: Session) -> bool:
    """Store the shipped sets once; True if one was added."""
    present = set(session.scalars(select(IndicatorSetRow.id)))
    added = False
    for set_id in BUILTIN_SETS:
        if set_id not in present:
            session.add(_row(parse_set(builtin_document(set_id)), builtin=True))
            added = True
    session.flush()
    return added


def load_set(
    *,
    session: Session,
    settings: Settings,
    document: Any,
    actor: Mapping[str, Any] | None = None,
) -> IndicatorSet:
    """Store a new set (audited); an id already loaded is refused: a set never changes."""
    indicator_set = parse_set(document)
    if session.get(IndicatorSetRow, indicator_set.id) is not None:
        raise Conflict(
            f"indicator set {indicator_set.id!r} is already loaded", code="indicator-set-exists"
        )
    session.add(_row(indicator_set, builtin=False))
    session.flush()
    record_change(
        session=session,
        settings=settings,
        action="dti.set.load",
        target={"set": indicator_set.id},
        actor=actor,
    )
    return indicator_set


def get_set(*, session: Session, set_id: str) -> IndicatorSet:
    return parse_set(get_set_row(session=session, set_id=set_id).document)


def list_sets(*, session: Session) -> list[IndicatorSetRow]:
    return list(session.scalars(select(IndicatorSetRow).order_by(IndicatorSetRow.id)))


def set_read(row: IndicatorSetRow) -> SetRead:
    return SetRead(
        id=row.id,
        title=row.title,
        decision=row.decision,
        builtin=row.builtin,
        loaded_at=row.loaded_at,
        indicators=parse_set(row.document).keys,
        document=row.document,
    )


def get_set_row(*, session: Session, set_id: str) -> IndicatorSetRow:
    """The stored set; an id no set can have (a NUL byte, 4 kB) is unknown without a query."""
    row = session.get(IndicatorSetRow, set_id) if SET_ID.fullmatch(set_id) else None
    if row is None:
        raise NotFound(f"no indicator set {set_id!r}", code="unknown-indicator-set")
    return row
