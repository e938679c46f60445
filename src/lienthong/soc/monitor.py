"""One monitoring watch per deployment: ``lienthong soc monitor``.

The detection rules, the chain watch, the silence check and the alert deliveries
(soc.runtime) run in one process of their own. ``lienthong serve`` starts it beside its API
workers, which then run no watch: the watch reads every audit entry the workers write, and in
a worker it took a share of the one core an event loop can use (a fifth of the audited reads a
worker answered, bench/exchange.py). An operator may instead run it on another host, with
``LIENTHONG_SOC_WATCH=false`` for the API.

Only one monitor runs per database: it holds the deployment's monitor claim
(``Backend.exclusive``) while it runs; a second one waits on standby and takes over when the
first stops or dies.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Annotated

import typer
from sqlalchemy import Engine

from lienthong.backends import backend_for
from lienthong.backends.base import LockHeld
from lienthong.config import Settings, get_settings
from lienthong.soc.runtime import start_monitoring
from lienthong.terminal import cli_engine

log = logging.getLogger("lienthong.soc")
CLAIM = "soc-monitor"
STANDBY_SECONDS = 2.0
RESTART_SECONDS = 5.0  # at most one start of a dead monitor per this many seconds
STATES = {
    "running": "đang theo dõi nhật ký kiểm toán / watching the audit log",
    "standby": "chờ: một tiến trình giám sát khác đang chạy / standby: another monitor runs",
    "stopped": "đã dừng / stopped",
}


def monitor(
    settings: Settings,
    engine: Engine,
    stop: threading.Event,
    said: Callable[[str], None] = lambda _state: None,
) -> None:
    """Run the monitoring centre while this process holds the deployment's claim, on standby
    while another holds it, until ``stop`` is set. ``said`` hears each state as it begins
    (``running``, ``standby``, ``stopped``)."""
    watched = settings.model_copy(update={"soc_watch": True})
    backend = backend_for(engine)
    waiting = False
    while not stop.is_set():
        try:
            with backend.exclusive(engine, CLAIM):
                running = start_monitoring(watched, engine)
                said("running")
                try:
                    stop.wait()
                finally:
                    running.stop()
        except LockHeld:
            if not waiting:
                said("standby")
                waiting = True
            stop.wait(STANDBY_SECONDS)
    said("stopped")


def _parent_gone(parent: int | None, stop: threading.Event) -> None:
    # Started by ``lienthong serve``: a server killed outright must not leave its monitor.
    while parent is not None and not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def monitor_command(
    parent: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when this process (the server) is gone"),
    ] = None,
) -> None:
    """Run the security monitoring (rules, chain watch, silences, alert deliveries) until
    stopped (SIGTERM or Ctrl-C); on standby while another monitor of the same database runs."""
    stop = threading.Event()

    def finish(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    threading.Thread(target=_parent_gone, args=(parent, stop), daemon=True).start()
    with cli_engine() as engine:
        monitor(
            get_settings(),
            engine,
            stop,
            lambda state: typer.echo(f"soc monitor: {state}: {STATES[state]}", err=True),
        )


class MonitorProcess:
    """``lienthong soc monitor`` as a child of the server (``lienthong serve``): started again
    when it dies (a crash, a kill), not when it stopped cleanly; stopped with the server."""

    def __init__(self) -> None:
        self.command = [sys.executable, "-m", "lienthong.command", "soc", "monitor"]
        self.command += ["--parent", str(os.getpid())]
        self.child: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._keeper = threading.Thread(target=self._keep, name="soc-monitor", daemon=True)

    def start(self) -> None:
        self.child = subprocess.Popen(self.command)  # noqa: S603 - our own command
        self._keeper.start()

    def _keep(self) -> None:
        started = time.monotonic()
        while not self._stop.wait(1.0):
            assert self.child is not None
            code = self.child.poll()
            if code is None or code == 0:  # running, or stopped on purpose (SIGTERM, Ctrl-C)
                continue
            log.error("the security monitor ended (exit status %s); starting it again", code)
            self._stop.wait(max(0.0, RESTART_SECONDS - (time.monotonic() - started)))
            if self._stop.is_set():
                return
            self.child = subprocess.Popen(self.command)  # noqa: S603 - our own command
            started = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        if self._keeper.is_alive():
            self._keeper.join(timeout=10)
        if self.child is None:
            return
        self.child.terminate()
        try:
            self.child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.child.kill()
