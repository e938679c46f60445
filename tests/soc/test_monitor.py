"""One monitoring process per deployment (`lienthong soc monitor`, started by `lienthong
serve`): it turns what the API workers audit into alerts, a second monitor of the same
database waits on standby and takes over when the first stops, and a stopped server leaves no
monitor behind; one that dies is started again."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lienthong.config import Settings
from lienthong.soc.alerts.models import Alert
from lienthong.web.app import create_app
from tests.soc.test_monitoring import _until


class Lines:
    """A process's stderr, line by line, read on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stderr is not None
        stream = process.stderr
        threading.Thread(target=lambda: [self._queue.put(x) for x in stream], daemon=True).start()

    def wait_for(self, text: str, seconds: float = 90.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not said within {seconds} s; said: {self.seen}")


def _env(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "LIENTHONG_DATABASE_URL": settings.resolved_database_url,
        "LIENTHONG_DATA_DIR": str(settings.data_dir),
        "LIENTHONG_ENVIRONMENT": "test",
        "LIENTHONG_AUTO_UPGRADE": "false",
        "LIENTHONG_SOC_INTERVAL_SECONDS": "0.2",
    }


def _monitor(settings: Settings) -> Lines:
    command = [sys.executable, "-m", "lienthong.command", "soc", "monitor"]
    process = subprocess.Popen(command, env=_env(settings), stderr=subprocess.PIPE, text=True)
    return Lines(process)


def _stuffing(web: TestClient | httpx.Client) -> None:
    for n in range(12):  # one address, many client ids refused
        form = {"grant_type": "client_credentials", "client_id": f"ltc_{n}", "client_secret": "x"}
        assert web.post("/oauth/token", data=form).status_code == 401


def _alerts(engine: Engine, rule: str) -> list[Alert]:
    with Session(engine) as session:
        return list(session.scalars(select(Alert).where(Alert.rule_id == rule)))


def _stopped(lines: Lines) -> None:
    lines.process.terminate()
    assert lines.process.wait(timeout=60) == 0
    lines.wait_for("stopped")


def test_one_monitor_raises_alerts_and_a_second_takes_over_when_it_stops(
    settings: Settings, engine: Engine
) -> None:
    first = _monitor(settings)
    second: Lines | None = None
    try:
        first.wait_for("running")
        second = _monitor(settings)
        second.wait_for("standby")
        # The API itself runs no watch here (the test environment's default).
        with TestClient(create_app(settings, engine=engine)) as web:
            _stuffing(web)
        [alert] = _until(lambda: _alerts(engine, "credential-stuffing"))
        assert alert.severity == "high" and alert.occurrences == 1
        _stopped(first)
        second.wait_for("running", seconds=60)
        assert [a.occurrences for a in _alerts(engine, "credential-stuffing")] == [1]
        _stopped(second)
    finally:
        for lines in (first, second):
            if lines is not None and lines.process.poll() is None:
                lines.process.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> Iterator[tuple[int, str]]:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            yield int(entry.name), cmdline


def test_serve_starts_one_monitor_beside_its_workers_and_stops_it(
    settings: Settings, engine: Engine
) -> None:
    port = _free_port()
    env = _env(settings) | {"LIENTHONG_SOC_WATCH": "true", "LIENTHONG_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "lienthong.command", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    lines = Lines(server)
    try:
        lines.wait_for("running", seconds=180)  # the monitor says so on the server's stderr
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as web:
            _until(lambda: _answers(web), seconds=180)
            monitors = [c for c in _children(server.pid) if "soc monitor" in c[1]]
            assert len(monitors) == 1, monitors  # one for the deployment, not one per worker
            _stuffing(web)
        [alert] = _until(lambda: _alerts(engine, "credential-stuffing"))
        assert alert.occurrences == 1  # raised once, by the one watch
        os.kill(monitors[0][0], signal.SIGKILL)  # a monitor that dies is started again
        lines.wait_for("running", seconds=60)
        [again] = [c for c in _children(server.pid) if "soc monitor" in c[1]]
        assert again[0] != monitors[0][0]
        server.terminate()
        assert server.wait(timeout=60) == 0
        lines.wait_for("stopped")
        assert not Path(f"/proc/{again[0]}").exists() or _zombie(again[0])
    finally:
        if server.poll() is None:
            server.kill()


def _answers(web: httpx.Client) -> bool:
    try:
        return web.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True
