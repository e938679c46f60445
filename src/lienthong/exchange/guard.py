"""The one guarded path of every personal-data answer: authorise → work → shape to the granted
fields → audit → answer; or the refusal, audited, with the same headers.

Single reads (answered before routing by exchange.fast_reads), filtered pages, bulk lookups and
master records all go through ``guarded``, so a fix to any step lands once. The work sees the
caller only through a ``Gate`` and hands back raw records, each with the context it was read
under; only ``guarded`` shapes them, so no route can send a field (or a key) that is not
granted, and every record shown is in the audit entry, committed before the answer leaves.
Nothing the caller sent is read before its token, rate and purpose have been checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.responses import Response

from lienthong.claims import Claims
from lienthong.errors import DatabaseUnavailable, LienthongError, Unauthorized
from lienthong.exchange.reads import (
    Gate,
    ReadContext,
    admit,
    asked_version,
    audit_refusal,
    granted_key,
    read_event,
    request_id,
    shape,
)
from lienthong.exchange.runtime import Runtime
from lienthong.outage import database_unavailable, is_unreachable
from lienthong.security.state import judge

log = logging.getLogger("lienthong")


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def response(self) -> Response:
        return Response(self.body, self.status, self.headers, media_type="application/json")


@dataclass(slots=True)
class Shown:
    """One record as it leaves: its granted fields, and its key if every key field is granted."""

    fields: dict[str, Any]
    key: str | None


@dataclass(slots=True)
class Released:
    """What a piece of work read, for ``guarded`` to shape, audit and answer.

    ``records`` are the raw rows the caller may see, each with the context it was read under;
    ``layout`` builds the answer from them once shaped (same order). ``fields`` are the granted
    fields the entry records (in order); ``keys`` what was asked for (hashed in the entry).
    ``missing`` makes the answer when no record is shown (the read is audited all the same).
    """

    action: str
    records: list[tuple[ReadContext, Mapping[str, Any]]]
    layout: Callable[[list[Shown]], Any]
    fields: Iterable[str]
    keys: list[str] | None = None
    missing: Callable[[], LienthongError] | None = None
    extra: Mapping[str, Any] | None = None


# The work runs inline on the event loop: a few indexed lookups cost less than a thread hop.
Work = Callable[[Gate], Released]
# The liveness row is the one awaited round trip before the audit (exchange.hotpath).
Liveness = Callable[[Claims], Awaitable[Any]]


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def claims_of(rt: Runtime, authorization: str | None, certificate: str | None = None) -> Claims:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "an access token is required (Authorization: Bearer …)", code="missing-token"
        )
    return rt.verifier.verify(token, certificate)


def refused(
    rt: Runtime,
    error: LienthongError,
    claims: Claims | None,
    target: str,
    headers: Any,
    rid: str,
    source: str | None = None,
) -> Answer:
    """The refusal: audited (without waiting), in the error shape, with its headers."""
    audit_refusal(rt, claims, target, error, rid, headers.get("x-purpose"), source)
    if error.status >= 500 and not isinstance(error, DatabaseUnavailable):  # the outage log has it
        log.error("%s: %s", error.code, error.message)
    extra = {**getattr(error, "headers", {}), "X-Request-Id": rid}
    return Answer(error.status, encode(error.as_dict()), extra)


async def guarded(
    rt: Runtime,
    headers: Mapping[str, str],
    *,
    target: str,
    work: Work,
    liveness: Liveness | None = None,
    source: str | None = None,
    certificate: str | None = None,
) -> Answer:
    """Answer one personal-data request about ``target`` (a dataset, or ``masters/<kind>``).

    ``liveness`` fetches the caller's liveness row (revocation, system status, grants counter)
    when the work can have it in the same round trip as its data (the single-record read);
    otherwise it is one primary-key select here. ``source`` is the caller's address, kept in
    the entry of the read or the refusal; ``certificate`` the thumbprint of the client
    certificate presented (mutual TLS), which a certificate-bound token needs.
    """
    rid = request_id(headers)
    claims: Claims | None = None
    try:
        claims = claims_of(rt, headers.get("authorization"), certificate)
        purpose = admit(rt, claims, headers)
        live = await (
            liveness(claims)
            if liveness is not None
            else rt.hot.afirst(rt.live, {"cid": claims.credential_id})
        )
        version = asked_version(headers)
        gate = Gate(rt, claims, purpose, judge(live), headers.get("x-on-behalf-of"), rid, version)
        released = work(gate)
        shown = [Shown(shape(ctx, row), granted_key(ctx, row)) for ctx, row in released.records]
        entry = read_event(
            rt,
            gate,
            action=released.action,
            target=target,
            shown=released.records,
            fields=released.fields,
            keys=released.keys,
            extra={**(released.extra or {}), "ip": source} if source else released.extra,
        )
        await rt.writer.enqueue(entry)
        answer_headers = {**gate.notices, "X-Request-Id": rid}
        if released.missing is not None and not shown:
            missing = released.missing()
            return Answer(missing.status, encode(missing.as_dict()), answer_headers)
        return Answer(200, encode(released.layout(shown)), answer_headers)
    except LienthongError as error:
        return refused(rt, error, claims, target, headers, rid, source)
    except DBAPIError as caught:
        # The single read runs outside the framework's handlers: a lost database is answered
        # here (503, logged once per interval), never as a 500.
        if not is_unreachable(caught):
            raise
        return refused(rt, database_unavailable(caught), claims, target, headers, rid, source)
