"""The monitoring centre's threads: the rules and the chain watch feed the alert store;
connection silences are checked every minute into the same store; alert notifications are
delivered in the background. Run by the deployment's one monitoring process (soc.monitor,
which ``lienthong serve`` starts), or inside an application whose settings turn the watch on
(``LIENTHONG_SOC_WATCH``; off in tests unless asked); `lienthong soc …` commands run each part
on its own."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from lienthong.config import Settings
from lienthong.soc.alerts.notify import start_delivery_worker
from lienthong.soc.alerts.service import sink
from lienthong.soc.connections.service import check_silence
from lienthong.soc.rules.runner import Sink, Watch, start_watch

log = logging.getLogger("lienthong.soc")
SILENCE_CHECK_SECONDS = 60.0


def alert_store(engine: Engine, settings: Settings) -> Sink:
    """Where every detection goes: the alert store (deduplicated, grouped, notified; each
    alert it opens audited as ``alert.open``)."""
    return sink(engine, settings)


def _silences(engine: Engine, settings: Settings, store: Sink, stop: threading.Event) -> None:
    while not stop.wait(SILENCE_CHECK_SECONDS):
        try:
            check_silence(engine, settings=settings, sink=store)
        except SQLAlchemyError:
            log.exception("connection silence check: the database failed")


@dataclass
class Monitoring:
    watch: Watch | None
    threads: list[threading.Thread]
    stops: list[threading.Event]

    def stop(self) -> None:
        for event in self.stops:
            event.set()
        if self.watch is not None:
            self.watch.stop()
        for thread in self.threads:
            thread.join(timeout=30)


def start_monitoring(settings: Settings, engine: Engine, store: Sink | None = None) -> Monitoring:
    """Start the watch, the silence check and the alert deliveries, unless turned off."""
    if not settings.soc_watch_runs:
        return Monitoring(None, [], [])
    store = store or alert_store(engine, settings)
    watch = start_watch(settings, engine, store)
    quiet = threading.Event()
    silences = threading.Thread(
        target=_silences, args=(engine, settings, store, quiet), name="soc-silences", daemon=True
    )
    silences.start()
    deliveries, delivering = start_delivery_worker(engine, settings)
    return Monitoring(watch, [silences, deliveries], [quiet, delivering])
