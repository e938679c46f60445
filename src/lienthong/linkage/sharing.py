"""A master record as a system may see it: linked source records under its grants.

Each linked record is read from the store and passes through the exchange domain's grant
check for its own dataset: a dataset the caller holds no live grant for (for the declared
purpose) contributes nothing, a record outside the grant's communes is left out, and only
granted fields leave. The master's attributes are survived again from what is visible, so
no value reaches the caller through the master that its grants would not show it directly.
A master with no visible record is answered exactly like a missing one. A linked record's
``key`` is shown only when every field it is made of is granted (exchange.guard shapes it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.errors import NotFound
from lienthong.exchange.guard import Released, Shown
from lienthong.exchange.reads import Gate, ReadContext, visible
from lienthong.linkage.ids import is_legacy
from lienthong.linkage.models import Link, Master
from lienthong.linkage.spec import KINDS, load_sources, survivorship
from lienthong.linkage.survive import COLUMN
from lienthong.store.service import get_records


def unknown_master(master_id: str) -> NotFound:
    return NotFound(f"no master record {master_id!r}", code="unknown-master")


def _attributes(kind: str, records: Sequence[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """Survivorship over the visible records ``(dataset, key, granted fields)``."""
    fields_of = {s.dataset: s.fields for s in load_sources() if s.kind == kind}
    out: dict[str, Any] = {}
    for name, priority in survivorship()[kind].items():
        column = COLUMN[name]
        ranked = sorted(
            (r for r in records if r[0] in priority), key=lambda r: (priority.index(r[0]), r[1])
        )
        for dataset, _key, fields in ranked:
            source_field = fields_of.get(dataset, {}).get(column)
            value = fields.get(source_field) if source_field else None
            if value not in (None, ""):
                out[name] = value
                break
    return out


def _no_layout(_shown: list[Shown]) -> dict[str, Any]:
    return {}  # never called: with nothing shown, the answer is the ``missing`` one


def granted_master(*, gate: Gate, session: Session, kind: str, master_id: str) -> Released:
    """The master's linked records the caller may see, for exchange.guard to answer."""

    def missing() -> NotFound:
        return unknown_master(master_id)

    nothing = Released("data.read", [], _no_layout, (), keys=[master_id], missing=missing)
    if kind not in KINDS or is_legacy(master_id):
        return nothing  # a legacy id is derivable from a personal ID: it addresses nothing
    master = session.get(Master, master_id)
    if master is None or master.kind != kind:
        return nothing
    links = session.scalars(
        select(Link).where(Link.master_id == master_id).order_by(Link.dataset, Link.record_key)
    ).all()
    by_dataset: dict[str, dict[str, Link]] = defaultdict(dict)
    for lk in links:
        by_dataset[lk.dataset][lk.record_key] = lk
    contexts = gate.granted(sorted(by_dataset))
    records: list[tuple[ReadContext, Mapping[str, Any]]] = []
    for dataset, ctx in contexts.items():
        meta = by_dataset[dataset]
        found = get_records(
            session=session, dataset=dataset, keys=list(meta), version=ctx.access.version
        )
        records += [(ctx, row) for row in found if visible(ctx, row)]

    def layout(shown: list[Shown]) -> dict[str, Any]:
        out = []
        for (ctx, row), seen in zip(records, shown, strict=True):
            dataset = ctx.dataset.info.name
            lk = by_dataset[dataset][row["_key"]]
            out.append(
                {
                    "dataset": dataset,
                    "key": seen.key,
                    "match_kind": lk.match_kind,
                    "match_weight": lk.match_weight,
                    "fields": seen.fields,
                }
            )
        visible_records = [
            (ctx.dataset.info.name, str(row["_key"]), seen.fields)
            for (ctx, row), seen in zip(records, shown, strict=True)
        ]
        attributes = _attributes(kind, visible_records)
        return {"id": master.id, "kind": master.kind, "attributes": attributes, "records": out}

    granted = sorted({f for ctx in contexts.values() for f in ctx.access.fields})
    shown_datasets = sorted({ctx.dataset.info.name for ctx, _ in records})
    return Released(
        "data.read",
        records,
        layout,
        granted,
        keys=[master_id],
        missing=missing,
        extra={"datasets": shown_datasets},
    )
