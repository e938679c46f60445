"""Starting and stopping the proxy's per-process state with the application."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import httpx

from lienthong.config import Settings
from lienthong.exchange.runtime import Runtime
from lienthong.providers.breaker import Breakers
from lienthong.providers.health import probe_forever
from lienthong.providers.proxy import ProviderRuntime
from lienthong.providers.schemas import MAX_TIMEOUT


@dataclass
class Providers:
    proxy: ProviderRuntime
    probe: asyncio.Task[None] | None

    async def stop(self) -> None:
        if self.probe is not None:
            self.probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.probe
        await self.proxy.close()


def start_providers(settings: Settings, rt: Runtime) -> Providers:
    """The pooled client (no environment proxies: provider URLs are called as registered),
    the breakers and, when set, the health probe (in the running event loop)."""
    limits = httpx.Limits(
        max_connections=settings.providers_max_connections,
        max_keepalive_connections=settings.providers_max_connections,
    )
    # Each call has its service's own deadline (proxy.forward); this is only the ceiling.
    client = httpx.AsyncClient(
        limits=limits, timeout=MAX_TIMEOUT, trust_env=False, follow_redirects=False
    )
    breakers = Breakers(
        settings.providers_breaker_failures, settings.providers_breaker_open_seconds
    )
    proxy = ProviderRuntime(rt, client, breakers)
    probe = None
    if settings.providers_probe_seconds > 0:
        probe = asyncio.get_running_loop().create_task(
            probe_forever(proxy, settings.providers_probe_seconds)
        )
    return Providers(proxy, probe)
