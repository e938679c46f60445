"""The periodic health probe of the provider services (LIENTHONG_PROVIDERS_PROBE_SECONDS).

Each registered service's health path (else its base URL) is asked with GET; every probe is a
``provider.probe`` audit entry naming the provider system and whether it answered (any status
below 500). The connection monitoring reads those entries, and the ``provider.call`` entries
of the proxy, as the provider system's last contact (soc.connections).
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
from sqlalchemy import select

from lienthong.events import event
from lienthong.providers.models import ProviderService
from lienthong.providers.proxy import ProviderRuntime
from lienthong.providers.service import dataset_of
from lienthong.registry.models import InformationSystem, Organisation

ACTOR = {"kind": "platform", "via": "provider-probe"}
log = logging.getLogger("lienthong")


async def probe_once(prt: ProviderRuntime) -> list[dict[str, object]]:
    """Probe every registered service once; the entries submitted to the audit log."""
    stmt = (
        select(
            ProviderService.name,
            ProviderService.base_url,
            ProviderService.health_path,
            ProviderService.timeout_seconds,
            Organisation.code,
            InformationSystem.code,
        )
        .join(InformationSystem, InformationSystem.id == ProviderService.system_id)
        .join(Organisation, Organisation.id == InformationSystem.organisation_id)
        .order_by(ProviderService.name)
    )
    with prt.rt.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    entries = []
    for name, base_url, health_path, timeout, org, system in rows:
        started = time.perf_counter()
        status: int | None = None
        try:
            answer = await prt.client.get(base_url + (health_path or "/"), timeout=timeout)
            status = answer.status_code
        except httpx.HTTPError:
            pass
        reached = status is not None and status < 500
        entry = event(
            "provider.probe",
            actor=ACTOR,
            outcome="ok" if reached else "provider-unreachable",
            dataset=dataset_of(name),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            provider={"organisation": org, "system": system},
            reached=reached,
        )
        prt.rt.writer.submit(entry)
        entries.append(entry)
    return entries


async def probe_forever(prt: ProviderRuntime, every: float) -> None:
    while True:
        try:
            await probe_once(prt)
        except Exception:  # a lost database must not end the probe: try again next time
            log.exception("the provider health probe failed")
        await asyncio.sleep(every)
