"""The parts of a guarded read: admit the caller, resolve its grant per dataset, shape a record
to the granted fields, and the audit entries of a read and of a refusal.

Only granted fields leave; a record outside the grant's communes is answered exactly like a
missing one. exchange.guard runs these parts in their one order for every personal-data answer.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lienthong.audit.service import hashes
from lienthong.claims import Claims
from lienthong.errors import BadRequest, Forbidden, Gone, LienthongError
from lienthong.events import event
from lienthong.exchange.access import Access, resolve_access
from lienthong.exchange.runtime import Runtime
from lienthong.exchange.store_link import Dataset
from lienthong.security.state import LiveState
from lienthong.standards.service import retired, retirement_headers, today

# The per-request objects below are plain slotted classes: a frozen dataclass costs several
# times as much to build, and the single-record read builds one of each on every request.


@dataclass(slots=True)
class ReadContext:
    """What one caller may read of one dataset, for the purpose it declared."""

    claims: Claims
    dataset: Dataset
    access: Access
    purpose: str
    on_behalf_of: str | None
    request_id: str
    key_granted: bool  # every field of the dataset's key is granted


_PREFIX = secrets.token_hex(6)
_NUMBERS = itertools.count(1)


def request_id(headers: Any) -> str:
    """The caller's ``X-Request-Id`` (at most 128 characters), or a new process-unique one."""
    given = headers.get("x-request-id")
    return given[:128] if given else f"{_PREFIX}-{next(_NUMBERS):x}"


VERSION_HEADER = "x-standard-version"


def asked_version(headers: Any) -> int | None:
    """The standard version the caller asks for in ``X-Standard-Version`` (None: its grant's)."""
    given = headers.get(VERSION_HEADER)
    if given is None:
        return None
    text = str(given).strip()
    if not text.isdigit() or not 0 < int(text) < 2**31:
        raise BadRequest(
            "X-Standard-Version must be a positive whole number", code="invalid-standard-version"
        )
    return int(text)


def admit(rt: Runtime, claims: Claims, headers: Any) -> str:
    """The system's rate and the declared purpose (before any database work)."""
    rt.limiter.take(claims.system_id)
    purpose = headers.get("x-purpose")
    if not purpose:
        raise BadRequest("declare the purpose in the X-Purpose header", code="purpose-required")
    return str(purpose)


@dataclass(slots=True)
class Gate:
    """A caller admitted (token, rate, purpose) and live; its grants, dataset by dataset."""

    rt: Runtime
    claims: Claims
    purpose: str
    state: LiveState
    on_behalf_of: str | None
    request_id: str
    version: int | None = None  # the standard version asked for (X-Standard-Version)
    notices: dict[str, str] = field(default_factory=dict)  # Sunset / Deprecation headers

    def context(self, dataset: str) -> ReadContext:
        """The caller's access to ``dataset`` in the version its grant (or the request) names:
        403 ``no-grant`` / ``grant-suspended`` / ``purpose-not-granted`` /
        ``version-not-granted``, 410 ``standard-version-retired`` past the version's
        retirement day; before that day the answer carries ``Sunset`` and ``Deprecation``
        headers (``notices``)."""
        rt = self.rt
        counter, system_id = self.state.grants_version, self.claims.system_id
        found = rt.grants.cached(counter, system_id, dataset)
        if found is None:
            with rt.engine.connect() as conn:
                found = rt.grants.grants_for(conn, counter, system_id, dataset)
        access = resolve_access(found, self.purpose, date.today(), self.version)
        if access.retire_on is not None:
            if access.retire_on <= today():
                raise retired(dataset, access.version, access.retire_on)
            self.notices.update(retirement_headers(access.retire_on, access.deprecated_at))
        described = rt.datasets.get(dataset, access.version)
        if described is None:
            with rt.engine.connect() as conn:
                described = rt.datasets.load(conn, dataset, access.version)
        key_granted = set(described.info.key_fields).issubset(access.fields)
        return ReadContext(
            self.claims,
            described,
            access,
            self.purpose,
            self.on_behalf_of,
            self.request_id,
            key_granted,
        )

    def granted(self, datasets: Iterable[str]) -> dict[str, ReadContext]:
        """A context for each dataset the caller may read for its purpose; others left out."""
        out = {}
        for dataset in datasets:
            try:
                out[dataset] = self.context(dataset)
            except (Forbidden, Gone):
                continue
        return out


def visible(ctx: ReadContext, row: Mapping[str, Any] | None) -> bool:
    return row is not None and row.get(ctx.dataset.info.area_field) in ctx.access.communes


def shape(ctx: ReadContext, row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name in ctx.access.fields:
        if name in row:
            value = row[name]
            out[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def granted_key(ctx: ReadContext, row: Mapping[str, Any]) -> str | None:
    """The record's key (``~``-joined) if every key field is granted, else None: a key is
    as much the person's data as the field it is made of (a personal ID, a card number)."""
    return str(row["_key"]) if ctx.key_granted and "_key" in row else None


def subjects(rt: Runtime, shown: Iterable[tuple[ReadContext, Mapping[str, Any]]]) -> list[str]:
    """Hashed personal IDs of the people whose records were returned (granted or not)."""
    people = {str(r[f]) for ctx, r in shown for f in ctx.dataset.person_fields if r.get(f)}
    return hashes(rt.audit, sorted(people))


def read_event(
    rt: Runtime,
    gate: Gate,
    *,
    action: str,
    target: str,
    shown: list[tuple[ReadContext, Mapping[str, Any]]],
    fields: Iterable[str],
    keys: list[str] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return event(
        action,
        actor=gate.claims.actor(),
        dataset=target,
        count=len(shown),
        fields=list(fields),
        purpose=gate.purpose,
        on_behalf_of=gate.on_behalf_of,
        request_id=gate.request_id,
        keys=hashes(rt.audit, keys) if keys is not None else None,
        subjects=subjects(rt, shown) or None,
        **(extra or {}),
    )


def audit_refusal(
    rt: Runtime,
    claims: Claims | None,
    target: str,
    error: LienthongError,
    rid: str,
    purpose: str | None,
    source: str | None = None,
) -> None:
    """Every refused data request — bad or missing token, no grant, no purpose, unknown
    dataset, bad input, over the rate — is a ``data.denied`` entry with the error code as its
    outcome, written without making the answer wait (a server error is logged instead)."""
    if error.status < 500:
        rt.writer.submit(denied_event(claims, target, error, rid, purpose, source))


def denied_event(
    claims: Claims | None,
    target: str,
    error: LienthongError,
    rid: str,
    purpose: str | None,
    source: str | None = None,
) -> dict[str, Any]:
    actor = claims.actor() if claims else {"kind": "anonymous"}
    return event(
        "data.denied",
        actor=actor,
        outcome=error.code,
        dataset=target,
        request_id=rid,
        purpose=purpose,
        ip=source,
    )
