"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets) for the benchmarks.

Cheaper per request than an HTTP client library, so that on a 2-core machine the server, not
the client, is what gets measured. Not a general HTTP client: it expects Content-Length bodies.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
    uvloop = None


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def request_bytes(path: str, host: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _worker(
    host: str, port: int, requests: Callable[[], bytes], deadline: float, result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(requests())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
            result.requests += 1
            if status >= 400:
                result.errors += 1
    finally:
        writer.close()


async def _run(
    host: str, port: int, requests: Callable[[], bytes], connections: int, seconds: float
) -> LoadResult:
    result = LoadResult(0, 0, 0.0, [])
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_worker(host, port, requests, deadline, result) for _ in range(connections))
    )
    result.seconds = time.perf_counter() - start
    return result


def run_load(
    host: str,
    port: int,
    paths: Sequence[str],
    *,
    connections: int = 32,
    seconds: float = 5.0,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """Requests cycling through ``paths`` on ``connections`` keep-alive connections."""
    encoded = [request_bytes(p, f"{host}:{port}", headers) for p in paths]
    cycle = itertools.cycle(encoded)
    if uvloop is not None:
        return uvloop.run(_run(host, port, lambda: next(cycle), connections, seconds))
    return asyncio.run(_run(host, port, lambda: next(cycle), connections, seconds))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(host: str, port: int, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {host}:{port} did not start")


def start_server(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lienthong.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _ticks(pid: int) -> int:
    """CPU time (user + system, clock ticks) of one process; 0 once it is gone."""
    try:
        fields = _read(f"/proc/{pid}/stat").rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _tree(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(
                    _read(f"/proc/{entry}/stat").rpartition(")")[2].split()[1]
                )
            except OSError:
                continue
    found, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return found


def _named(name: str) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if _read(f"/proc/{entry}/comm").strip() == name:
                    out.add(int(entry))
            except OSError:
                continue
    return out


def _machine() -> tuple[int, int]:
    """(busy, total) clock ticks of every core since boot."""
    values = [int(v) for v in _read("/proc/stat").splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuUse:
    """Cores used, over a stretch of time, by the server's process tree, PostgreSQL's
    processes, this process (the load generator) and the whole machine; where the cores run
    out is where adding workers stops adding reads."""

    def __init__(self, server: int) -> None:
        self.server = server
        self.hz = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> CpuUse:
        self._pids = {"server": _tree(self.server), "postgresql": _named("postgres")}
        self._before = {k: {p: _ticks(p) for p in v} for k, v in self._pids.items()}
        self._self = sum(os.times()[:2])
        self._machine = _machine()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        seconds = time.perf_counter() - self._start
        self.cores: dict[str, float] = {}
        for kind, pids in self._pids.items():
            now = {"server": _tree(self.server), "postgresql": _named("postgres")}[kind]
            used = sum(_ticks(p) - self._before[kind].get(p, 0) for p in pids | now)
            self.cores[kind] = round(used / self.hz / seconds, 2)
        self.cores["load_generator"] = round((sum(os.times()[:2]) - self._self) / seconds, 2)
        busy, total = _machine()
        share = (busy - self._machine[0]) / max(1, total - self._machine[1])
        self.cores["machine_busy_share"] = round(share, 3)
        self.cores["machine_cores"] = os.cpu_count() or 0
