"""The read path: authorise (token, limit, purpose, liveness, grant), shape, audit.

Only granted fields leave; a record outside the grant's communes is answered exactly like a
missing one. The response waits for its audit entry to be committed (group commit).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lienthong.audit.service import event, hashes
from lienthong.errors import BadRequest, LienthongError
from lienthong.exchange.access import Access, resolve_access
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.store_link import Dataset
from lienthong.security.state import judge
from lienthong.security.tokens import Claims


@dataclass(frozen=True)
class ReadContext:
    claims: Claims
    dataset: Dataset
    access: Access
    purpose: str
    on_behalf_of: str | None
    request_id: str


_PREFIX = secrets.token_hex(6)
_NUMBERS = itertools.count(1)


def request_id(headers: Any) -> str:
    """The caller's ``X-Request-Id`` (at most 128 characters), or a new process-unique one."""
    given = headers.get("x-request-id")
    return given[:128] if given else f"{_PREFIX}-{next(_NUMBERS):x}"


def admit(rt: Runtime, claims: Claims, headers: Any) -> str:
    """The system's rate and the declared purpose (before any database work)."""
    rt.limiter.take(claims.system_id)
    purpose = headers.get("x-purpose")
    if not purpose:
        raise BadRequest("declare the purpose in the X-Purpose header", code="purpose-required")
    return str(purpose)


def authorise(
    rt: Runtime,
    claims: Claims,
    dataset: str,
    headers: Any,
    rid: str,
    *,
    purpose: str | None = None,
    live: Any = None,
) -> ReadContext:
    """Rate, purpose, liveness (one primary-key select), grant, dataset; else the refusal.

    ``purpose`` and ``live`` are given when the caller already ran ``admit`` and fetched the
    liveness row together with the record (exchange.store_link.fetch_with_live).
    """
    if purpose is None:
        purpose = admit(rt, claims, headers)
    if live is None:
        live = rt.hot.first(rt.live, {"cid": claims.credential_id})
    state = judge(live)
    found = rt.grants.cached(state.grants_version, claims.system_id, dataset)
    if found is None:
        with rt.engine.connect() as conn:
            found = rt.grants.grants_for(conn, state.grants_version, claims.system_id, dataset)
    access = resolve_access(found, purpose, date.today())
    described = rt.datasets.get(dataset)
    if described is None:
        with rt.engine.connect() as conn:
            described = rt.datasets.load(conn, dataset)
    return ReadContext(claims, described, access, purpose, headers.get("x-on-behalf-of"), rid)


def visible(ctx: ReadContext, row: dict[str, Any] | None) -> bool:
    return row is not None and row.get(ctx.dataset.info.area_field) in ctx.access.communes


def shape(ctx: ReadContext, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in ctx.access.fields:
        if name in row:
            value = row[name]
            out[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def read_event(
    rt: Runtime, ctx: ReadContext, action: str, rows: list[dict[str, Any]], keys: list[str] | None
) -> dict[str, Any]:
    people = {str(r[f]) for r in rows for f in ctx.dataset.person_fields if r.get(f)}
    return event(
        action,
        actor=ctx.claims.actor(),
        dataset=ctx.dataset.info.name,
        count=len(rows),
        fields=list(ctx.access.fields),
        purpose=ctx.purpose,
        on_behalf_of=ctx.on_behalf_of,
        request_id=ctx.request_id,
        keys=hashes(rt.audit, keys) if keys is not None else None,
        subjects=hashes(rt.audit, sorted(people)) or None,
    )


# A single-record read audits its (empty) read before answering 404: no second entry.
_AUDITED_AS_READ = frozenset({"record-not-found"})


def audit_refusal(
    rt: Runtime,
    claims: Claims | None,
    dataset: str,
    error: LienthongError,
    rid: str,
    purpose: str | None,
) -> None:
    """Every refused data request — bad or missing token, no grant, no purpose, unknown
    dataset, over the rate — is a ``data.denied`` entry with the error code as its outcome,
    written without making the answer wait (a server error is logged instead)."""
    if error.status < 500 and error.code not in _AUDITED_AS_READ:
        rt.writer.submit(denied_event(claims, dataset, error, rid, purpose))


def denied_event(
    claims: Claims | None, dataset: str, error: LienthongError, rid: str, purpose: str | None
) -> dict[str, Any]:
    actor = claims.actor() if claims else {"kind": "anonymous"}
    return event(
        "data.denied",
        actor=actor,
        outcome=error.code,
        dataset=dataset,
        request_id=rid,
        purpose=purpose,
    )
