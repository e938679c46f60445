"""Lienthong instances served for real on 127.0.0.1 (uvicorn in a thread each), with their
own data folder, database and keys, driven over HTTP like any peer would."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.db import make_engine
from lienthong.prepare import prepare_database
from lienthong.web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Remote(httpx.Client):
    """An HTTP client of a served instance; ``app`` for the factories that make people."""

    app: FastAPI


@dataclass
class Instance:
    name: str
    settings: Settings
    engine: Engine
    port: int
    app: FastAPI | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    operator: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, name: str, folder: Path, database_url: str, **more: Any) -> Instance:
        port = free_port()
        token = f"{name}-operator-token-0123456789abcdef"
        settings = Settings(
            environment="test",
            data_dir=folder / name,
            database_url=database_url,
            operator_token=token,
            auto_upgrade=False,
            public_url=f"http://127.0.0.1:{port}",
            source_refusal_limit=0,
            **more,
        )
        engine = make_engine(settings)
        prepare_database(engine)
        return cls(name, settings, engine, port, operator={"Authorization": f"Bearer {token}"})

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.app = create_app(self.settings, engine=self.engine)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            assert self._thread.is_alive(), f"{self.name} did not start"
            assert time.monotonic() < deadline, f"{self.name} did not start in time"
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
            self._server = self._thread = None

    def http(self) -> Remote:
        client = Remote(base_url=self.base, timeout=30)
        assert self.app is not None
        client.app = self.app
        return client

    def entries(self, action: str) -> list[dict[str, Any]]:
        """This instance's audit entries of ``action``, in log order."""
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
            found = [json.loads(body) for (body,) in rows]
        return [e for e in found if e["action"] == action]

    def wait_for(self, action: str, count: int) -> list[dict[str, Any]]:
        """The entries of ``action`` once there are ``count`` (refusals are written without
        making their answer wait)."""
        deadline = time.monotonic() + 10
        while len(found := self.entries(action)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found
