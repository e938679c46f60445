"""The server's background forwarder, when LIENTHONG_SOC_SYSLOG_TARGET names a receiver."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.soc.siem.export import Origin
from lienthong.soc.siem.forwarder import Forwarder, start_background
from lienthong.soc.siem.transport import Target


def start_forwarding(settings: Settings, engine: Engine) -> Callable[[], None]:
    """Start forwarding the audit log if a target is set; the function that stops it.

    Several server processes may run it at once: each sends from the shared position, so the
    receiver may get an entry more than once (by ``event.sequence`` it can tell), never none.
    """
    if not settings.soc_syslog_target:
        return lambda: None
    forwarder = Forwarder(
        engine,
        Target.parse(settings.soc_syslog_target),
        Origin.here(settings.soc_syslog_hostname, settings.soc_syslog_enterprise_id),
        ca_file=settings.soc_syslog_ca_file,
        batch=settings.soc_syslog_batch,
    )
    thread, stop = start_background(forwarder)

    def stop_it() -> None:
        stop.set()
        thread.join(timeout=15)

    return stop_it
