"""The proxy: a consumer's call to a provider's operation, granted, forwarded and audited.

In order: the consumer's token, rate and purpose (exchange.reads.admit) and liveness; the
service and the declared operation the path and method call; an approved grant on the
service (``service:<name>``) for the purpose that lists the operation. Any refusal is a
``data.denied`` entry, as for a read. Then the service's circuit breaker, and the call:
the consumer's ``Authorization``, cookies, hop-by-hop and ``Lienthong-*`` headers are not
passed on; ``Lienthong-Client``, ``-Purpose``, ``-Request-Id`` and ``-Service`` name the
caller. The answer is read in full, at most the service's ``max_response_bytes`` and within
its ``timeout_seconds``, so nothing partial is ever passed on. Every call that reached this
point is a ``provider.call`` entry (status, bytes, duration, whether the provider answered),
committed before the answer leaves.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import bindparam, select

from lienthong.audit.service import hashes
from lienthong.errors import Forbidden, LienthongError, NotFound
from lienthong.events import event
from lienthong.exchange.access import resolve_access
from lienthong.exchange.guard import Answer, claims_of, encode, refused
from lienthong.exchange.hotpath import Prepared
from lienthong.exchange.reads import admit, request_id
from lienthong.exchange.runtime import Runtime
from lienthong.providers.breaker import Breakers
from lienthong.providers.errors import (
    MethodNotDeclared,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderUnreachable,
    ResponseTooLarge,
)
from lienthong.providers.models import ProviderService
from lienthong.providers.openapi import Matcher, Operation, operations_of
from lienthong.providers.schemas import SERVICE_PATTERN
from lienthong.providers.service import dataset_of
from lienthong.registry.models import InformationSystem, Organisation
from lienthong.security.state import judge

# Never passed on, either way (RFC 9110 §7.6.1), with what names the caller to us.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
NOT_FORWARDED = HOP_BY_HOP | {"authorization", "cookie", "host", "content-length", "x-purpose"}
NOT_RETURNED = HOP_BY_HOP | {"content-length", "set-cookie"}
OUR_PREFIX = "lienthong-"
NAME = re.compile(SERVICE_PATTERN)

_services = ProviderService.__table__
_systems = InformationSystem.__table__
_orgs = Organisation.__table__
SERVICE_ROW = (
    select(
        _services.c.name,
        _services.c.base_url,
        _services.c.operations,
        _services.c.timeout_seconds,
        _services.c.max_response_bytes,
        _services.c.revision,
        _orgs.c.code,
        _systems.c.code,
    )
    .join(_systems, _systems.c.id == _services.c.system_id)
    .join(_orgs, _orgs.c.id == _systems.c.organisation_id)
    .where(_services.c.name == bindparam("name"))
)


@dataclass(frozen=True, slots=True)
class Target:
    """A registered service as the proxy calls it."""

    name: str
    base_url: str
    timeout: float
    max_bytes: int
    revision: int
    organisation: str
    system: str


class ProviderRuntime:
    """Per process: the pooled HTTP client, the breakers, the compiled operations."""

    def __init__(self, rt: Runtime, client: httpx.AsyncClient, breakers: Breakers) -> None:
        self.rt = rt
        self.client = client
        self.breakers = breakers
        self.row: Prepared = rt.hot.prepare(SERVICE_ROW)
        self._matchers: dict[tuple[str, int], Matcher] = {}

    async def target(self, name: str) -> tuple[Target, Matcher]:
        row = await self.rt.hot.afirst(self.row, {"name": name})
        if row is None:
            raise NotFound(f"no provider service {name!r}", code="unknown-service")
        target = Target(row[0], row[1], float(row[3]), int(row[4]), int(row[5]), row[6], row[7])
        key = (target.name, target.revision)
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = self._matchers[key] = Matcher(operations_of(row[2]))
        return target, matcher

    async def close(self) -> None:
        await self.client.aclose()


def operation_for(matcher: Matcher, method: str, path: str) -> Operation:
    """404 ``unknown-operation`` for a path no template declares (or with an empty, ``.`` or
    ``..`` segment, which a server could resolve elsewhere); 405 for an undeclared method."""
    segments = path.split("/")
    if any(s in {"", ".", ".."} for s in segments):
        raise NotFound("the service declares no such operation", code="unknown-operation")
    found = matcher.find("/" + path)
    if not found:
        raise NotFound("the service declares no such operation", code="unknown-operation")
    if method not in found:
        raise MethodNotDeclared(f"{method} is not declared on this path", allow=list(found))
    return found[method]


def granted_operations(rt: Runtime, claims: Any, live: Any, dataset: str, purpose: str) -> Any:
    counter = judge(live).grants_version
    found = rt.grants.cached(counter, claims.system_id, dataset)
    if found is None:
        with rt.engine.connect() as conn:
            found = rt.grants.grants_for(conn, counter, claims.system_id, dataset)
    return resolve_access(found, purpose, date.today()).fields


def outgoing_headers(
    headers: Mapping[str, str], claims: Any, purpose: str, rid: str, service: str
) -> dict[str, str]:
    named = {
        h.strip().lower() for h in headers.get("connection", "").split(",") if h.strip()
    }  # a header the Connection header names is hop-by-hop too
    out = {
        k: v
        for k, v in headers.items()
        if k.lower() not in NOT_FORWARDED
        and k.lower() not in named
        and not k.lower().startswith(OUR_PREFIX)
    }
    out["Lienthong-Client"] = f"{claims.organisation}/{claims.system}"
    out["Lienthong-Purpose"] = purpose
    out["Lienthong-Request-Id"] = rid
    out["Lienthong-Service"] = service
    return out


@dataclass(slots=True)
class Outcome:
    status: int
    body: bytes
    headers: dict[str, str]
    code: str  # "ok", or the error code answered
    reached: bool  # the provider answered (whatever its status)


async def forward(
    prt: ProviderRuntime,
    target: Target,
    method: str,
    path: str,
    query: str,
    body: bytes,
    headers: dict[str, str],
) -> Outcome:
    url = (
        target.base_url
        + "/"
        + "/".join(quote(s, safe="@:!$&'()*+,;=-._~") for s in path.split("/"))
    )
    if query:
        url += "?" + query
    request = prt.client.build_request(method, url, headers=headers, content=body or None)
    try:
        async with asyncio.timeout(target.timeout):
            response = await prt.client.send(request, stream=True)
            try:
                received = await _read_bounded(response, target.max_bytes)
            finally:
                await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        return _failed(ProviderTimeout(f"{target.name} did not answer in {target.timeout:g} s"))
    except ResponseTooLarge as error:
        return _failed(error, reached=True)
    except httpx.HTTPError:
        return _failed(ProviderUnreachable(f"{target.name} could not be reached"))
    returned = {k: v for k, v in response.headers.multi_items() if k.lower() not in NOT_RETURNED}
    return Outcome(response.status_code, received, returned, "ok", True)


async def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    too_large = ResponseTooLarge(f"the provider's answer is over {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, total = [], 0
    async for chunk in response.aiter_raw():
        total += len(chunk)
        if total > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _failed(error: LienthongError, reached: bool = False) -> Outcome:
    headers = dict(getattr(error, "headers", {}))
    return Outcome(error.status, encode(error.as_dict()), headers, error.code, reached)


async def call(
    prt: ProviderRuntime,
    *,
    service: str,
    method: str,
    path: str,
    query: str,
    body: bytes,
    headers: Mapping[str, str],
    source: str | None,
    certificate: str | None,
) -> Answer:
    """One consumer call of ``method /path`` on ``service``: refused (audited), or forwarded
    within the breaker, the timeout and the size limit, and audited before it is answered."""
    rt = prt.rt
    rid = request_id(headers)
    dataset = dataset_of(service)
    claims = None
    try:
        if not NAME.fullmatch(service):  # before the database sees it (a NUL byte, say)
            raise NotFound(f"no provider service {service[:40]!r}", code="unknown-service")
        claims = claims_of(rt, headers.get("authorization"), certificate)
        purpose = admit(rt, claims, headers)
        live = await rt.hot.afirst(rt.live, {"cid": claims.credential_id})
        judge(live)  # a revoked credential or a suspended system before anything else
        target, matcher = await prt.target(service)
        operation = operation_for(matcher, method, path)
        allowed = granted_operations(rt, claims, live, dataset, purpose)
        if operation.id not in allowed:
            raise Forbidden(
                f"no grant for this purpose allows {operation.id!r}", code="operation-not-granted"
            )
    except LienthongError as error:
        return refused(rt, error, claims, dataset, headers, rid, source)
    started = time.perf_counter()
    breaker = prt.breakers.of(service)
    wait = breaker.admit()
    if wait is not None:
        outcome = _failed(
            ProviderUnavailable(
                f"{service} is failing; calls resume after a trial", retry_after=wait
            )
        )
    else:
        sent = outgoing_headers(headers, claims, purpose, rid, service)
        try:
            outcome = await forward(prt, target, method, path, query, body, sent)
        except BaseException:
            breaker.release()  # cancelled: a trial call it was lets another go
            raise
        # An answer too large came from a provider that is up: not a failure of availability.
        if outcome.code == ResponseTooLarge.code or (outcome.code == "ok" and outcome.status < 500):
            breaker.succeeded()
        else:
            breaker.failed()
    entry = event(
        "provider.call",
        actor=claims.actor(),
        outcome=outcome.code,
        dataset=dataset,
        operation=operation.id,
        method=method,
        keys=hashes(rt.audit, [path]),  # the path may name a person
        purpose=purpose,
        on_behalf_of=headers.get("x-on-behalf-of"),
        request_id=rid,
        status=outcome.status,
        bytes=len(outcome.body),
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        provider={"organisation": target.organisation, "system": target.system},
        reached=outcome.reached,
        ip=source,
    )
    try:
        await rt.writer.enqueue(entry)
    except LienthongError as error:  # the audit writer is down: nothing is passed on
        return Answer(error.status, encode(error.as_dict()), {"X-Request-Id": rid})
    return Answer(outcome.status, outcome.body, {**outcome.headers, "X-Request-Id": rid})
