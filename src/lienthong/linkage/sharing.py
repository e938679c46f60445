"""A master record as a system may see it: linked source records under its grants.

Each linked record is read from the store and passes through the exchange domain's grant
check for its own dataset: a dataset the caller holds no live grant for (for the declared
purpose) contributes nothing, a record outside the grant's communes is left out, and only
granted fields leave. The master's attributes are survived again from what is visible, so
no value reaches the caller through the master that its grants would not show it directly.
A master with no visible record is answered exactly like a missing one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from lienthong.errors import LienthongError, NotFound
from lienthong.exchange.access import resolve_access
from lienthong.exchange.reads import ReadContext, shape, visible
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.store_link import describe
from lienthong.linkage.models import Link, Master
from lienthong.linkage.spec import KINDS, load_sources, survivorship
from lienthong.linkage.survive import COLUMN
from lienthong.security.state import live_state
from lienthong.security.tokens import Claims
from lienthong.store.service import get_records


def unknown_master(master_id: str) -> NotFound:
    return NotFound(f"no master record {master_id!r}", code="unknown-master")


def _contexts(
    rt: Runtime, conn: Connection, claims: Claims, datasets: list[str], purpose: str, rid: str
) -> dict[str, ReadContext]:
    """A read context per dataset the caller may read for this purpose (others left out)."""
    state = live_state(conn, claims)
    out = {}
    for dataset in datasets:
        found = rt.grants.grants_for(conn, state.grants_version, claims.system_id, dataset)
        try:
            access = resolve_access(found, purpose, date.today())
        except LienthongError:
            continue
        out[dataset] = ReadContext(claims, describe(conn, dataset), access, purpose, None, rid)
    return out


def _attributes(kind: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Survivorship over the visible records, granted fields only."""
    fields_of = {s.dataset: s.fields for s in load_sources() if s.kind == kind}
    out: dict[str, Any] = {}
    for name, priority in survivorship()[kind].items():
        column = COLUMN[name]
        ranked = sorted(
            (r for r in records if r["dataset"] in priority),
            key=lambda r: (priority.index(r["dataset"]), r["key"]),
        )
        for record in ranked:
            source_field = fields_of.get(record["dataset"], {}).get(column)
            value = record["fields"].get(source_field) if source_field else None
            if value not in (None, ""):
                out[name] = value
                break
    return out


def granted_master(
    *,
    rt: Runtime,
    conn: Connection,
    session: Session,
    claims: Claims,
    kind: str,
    master_id: str,
    purpose: str,
    rid: str,
) -> tuple[dict[str, Any], list[str]]:
    """The master as the caller may see it, and the personal IDs it shows (for the audit)."""
    master = session.get(Master, master_id)
    if kind not in KINDS or master is None or master.kind != kind:
        raise unknown_master(master_id)
    links = session.scalars(
        select(Link).where(Link.master_id == master_id).order_by(Link.dataset, Link.record_key)
    ).all()
    by_dataset: dict[str, list[Link]] = defaultdict(list)
    for lk in links:
        by_dataset[lk.dataset].append(lk)
    contexts = _contexts(rt, conn, claims, sorted(by_dataset), purpose, rid)
    records: list[dict[str, Any]] = []
    people: set[str] = set()
    for dataset, ctx in contexts.items():
        meta = {lk.record_key: lk for lk in by_dataset[dataset]}
        for row in get_records(session=session, dataset=dataset, keys=list(meta)):
            if not visible(ctx, row):
                continue
            lk = meta[row["_key"]]
            shaped = shape(ctx, row)
            people |= {str(shaped[f]) for f in ctx.dataset.person_fields if shaped.get(f)}
            records.append(
                {
                    "dataset": dataset,
                    "key": row["_key"],
                    "match_kind": lk.match_kind,
                    "match_weight": lk.match_weight,
                    "fields": shaped,
                }
            )
    if not records:
        raise unknown_master(master_id)
    body = {
        "id": master.id,
        "kind": master.kind,
        "attributes": _attributes(kind, records),
        "records": records,
    }
    return body, sorted(people)
