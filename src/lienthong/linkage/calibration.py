"""The comparisons a run scores with: the declared specification, or the newest active trained
model of the kind (linkage.training) laid over it.

A model replaces m and u level by level and the term frequencies of name parts; every level a
model did not train keeps its declared value. Runs name the model they used, and a model never
changes once stored, so an incremental run and a full relink under one model score alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.errors import NotFound
from lienthong.events import event
from lienthong.linkage.models import Model
from lienthong.linkage.spec import LinkSpec, load_spec
from lienthong.paging import PageRequest, keyset_page

Parameters = dict[str, dict[str, dict[str, float]]]  # comparison → level label → {"m", "u"}


def level_key(level: dict[str, Any]) -> str:
    """How a model names a level: its label (labels are unique within a comparison, tested)."""
    return str(level.get("label_for_charts", level["sql_condition"]))


def declared_parameters(spec: LinkSpec) -> Parameters:
    return {
        c["output_column_name"]: {
            level_key(level): {"m": level["m_probability"], "u": level["u_probability"]}
            for level in c["comparison_levels"]
            if not level.get("is_null_level")
        }
        for c in spec.comparisons
    }


def weight(m: float, u: float) -> float:
    return math.log2(m / u)


def apply(
    spec: LinkSpec,
    parameters: Parameters,
    term_frequencies: dict[str, Any] | None,
    model: int | None,
) -> LinkSpec:
    """``spec`` with the m and u of every level ``parameters`` names (others as declared)."""
    comparisons = []
    for comparison in spec.comparisons:
        given = parameters.get(comparison["output_column_name"], {})
        levels = []
        for level in comparison["comparison_levels"]:
            found = given.get(level_key(level))
            if found is not None and not level.get("is_null_level"):
                level = {**level, "m_probability": found["m"], "u_probability": found["u"]}
            levels.append(level)
        comparisons.append({**comparison, "comparison_levels": levels})
    return replace(spec, comparisons=comparisons, term_frequencies=term_frequencies, model=model)


def latest_model(*, session: Session, kind: str) -> Model | None:
    """The newest active trained model of ``kind``, if any."""
    stmt = (
        select(Model)
        .where(Model.kind == kind, Model.active.is_(True))
        .order_by(Model.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def current_spec(*, session: Session, kind: str) -> LinkSpec:
    """What a run of ``kind`` scores with now: the newest active model, else the declared spec."""
    spec = load_spec(kind)
    model = latest_model(session=session, kind=kind)
    if model is None:
        return spec
    return apply(spec, json.loads(model.parameters), json.loads(model.term_frequencies), model.id)


def in_use(*, session: Session, kind: str) -> int | None:
    """The model the kind's stored pairs were scored with (None: the declared comparisons)."""
    return session.scalar(select(Model.id).where(Model.kind == kind, Model.in_use.is_(True)))


def mark_in_use(*, session: Session, kind: str, model: int | None) -> None:
    """Record that the kind's stored pairs are now scored with ``model``."""
    session.execute(
        update(Model)
        .where(Model.kind == kind, Model.in_use.is_(True), Model.id != (model or 0))
        .values(in_use=False)
    )
    if model is not None:
        session.execute(update(Model).where(Model.id == model).values(in_use=True))


def list_models(
    *, session: Session, kind: str | None = None, page: PageRequest
) -> tuple[list[Model], str | None]:
    """Trained model versions, oldest first."""
    stmt = select(Model)
    if kind is not None:
        stmt = stmt.where(Model.kind == kind)
    return keyset_page(session, stmt, keys=[Model.id], page=page, scope=("linkage.models", kind))


def set_active(
    *,
    session: Session,
    model_id: int,
    active: bool,
    settings: Settings,
    actor: dict[str, Any] | None = None,
) -> Model:
    """Let runs use a stored model (the newest active one of its kind) or stop them; audited
    in the same transaction. Takes effect at the next run, which rescores every pair."""
    model = session.get(Model, model_id)
    if model is None:
        raise NotFound(f"no trained linkage model {model_id}", code="unknown-linkage-model")
    model.active = active
    session.flush()
    entry = event(
        "linkage.model",
        actor=actor or {"kind": "operator"},
        kind=model.kind,
        model=model.id,
        active=active,
    )
    record(session=session, settings=settings, entry=entry)
    return model
