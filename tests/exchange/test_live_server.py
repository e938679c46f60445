"""A real server: `lienthong serve` on 127.0.0.1 (uvicorn, its own temp data directory and
SQLite database), driven over TCP: ingest, a token, a grant, an audited read, then stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from tests.ingest.factories import citizen_row, personal_id, write_citizens

TOKEN = "live-server-operator-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = os.environ | {
        "LIENTHONG_ENVIRONMENT": "development",
        "LIENTHONG_DATA_DIR": str(tmp_path / "data"),
        "LIENTHONG_OPERATOR_TOKEN": TOKEN,
        "LIENTHONG_LOG_LEVEL": "warning",
    }
    env.pop("LIENTHONG_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lienthong.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = (
            time.monotonic() + 180
        )  # generous: a loaded CI machine starts a Python server slowly
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode is not None


def _console(tmp_path: Path, *args: str) -> str:
    """A command at the live server's console (its embedded database and data folder)."""
    env = os.environ | {
        "LIENTHONG_ENVIRONMENT": "development",
        "LIENTHONG_DATA_DIR": str(tmp_path / "data"),
        "LIENTHONG_OPERATOR_TOKEN": TOKEN,
    }
    env.pop("LIENTHONG_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "lienthong.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _steward_token(tmp_path: Path, org: str, dataset: str) -> dict[str, str]:
    """The owner named, a data steward of it registered, and their personal access token."""
    _console(tmp_path, "people", "owner", dataset, org, "--one-approver")
    added = _console(
        tmp_path, "people", "add", "--issuer", "https://sso.example", "--subject", "st-1",
        "--name", "Phạm Thu Hà", "--role", "data-steward", "--organisation", org,
    )  # fmt: skip
    person = added.strip().rsplit(" ", 1)[-1]
    made = _console(tmp_path, "people", "token", "create", person, "--name", "live")
    return {"Authorization": f"Bearer {made.strip().rsplit(' ', 1)[-1]}"}


def test_token_grant_and_read_through_a_real_server(server: str, tmp_path: Path) -> None:
    operator = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server, timeout=30) as http:
        for org in ("H33.01", "H33.05"):
            body = {"code": org, "name": f"Sở {org}", "level": "province", "unit_code": "33"}
            assert (
                http.post("/api/v1/organisations", json=body, headers=operator).status_code == 201
            )
        for org, code in (("H33.01", "hoso"), ("H33.05", "portal")):
            created = http.post(
                f"/api/v1/organisations/{org}/systems",
                json={"code": code, "name": code},
                headers=operator,
            )
            assert created.status_code == 201, created.text
        source = write_citizens(tmp_path / "c.csv", [citizen_row(n) for n in (1, 2)])
        batch = http.post(
            "/api/v1/ingest/citizen",
            params={"system": "H33.01/hoso", "filename": "c.csv"},
            content=source.read_bytes(),
            headers=operator,
        )
        assert batch.status_code == 201, batch.text
        issued = http.post(
            "/api/v1/organisations/H33.05/systems/portal/credentials", headers=operator
        ).json()
        token = http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": issued["client_id"],
                "client_secret": issued["client_secret"],
            },
        ).json()["access_token"]
        consumer = {"Authorization": f"Bearer {token}", "X-Purpose": "public-service"}
        url = f"/api/v1/data/citizen/{personal_id(1)}"
        assert http.get(url, headers=consumer).json()["error"]["code"] == "no-grant"
        grant = http.post(
            "/api/v1/grants",
            json={
                "dataset": "citizen",
                "fields": ["personal_id", "full_name"],
                "units": ["33"],
                "purposes": ["public-service"],
                "expires_on": (date.today() + timedelta(days=7)).isoformat(),
            },
            headers=consumer,
        ).json()
        steward = _steward_token(tmp_path, "H33.01", "citizen")
        approved = http.post(f"/api/v1/grants/{grant['id']}/approve", headers=steward)
        assert approved.status_code == 200, approved.text
        read = http.get(url, headers=consumer | {"X-Request-Id": "live-1"})
        assert read.status_code == 200, read.text
        assert read.json() == {"personal_id": personal_id(1), "full_name": "Nguyễn Văn 1"}
        assert read.headers["x-request-id"] == "live-1"
        assert read.headers["content-type"] == "application/json"
        assert "server" not in read.headers  # no `server: uvicorn`
        assert read.headers["cache-control"] == "no-store"
        assert read.headers["x-content-type-options"] == "nosniff"
        missing = http.get("/api/v1/data/citizen/033090999999", headers=consumer)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "record-not-found"
        report = http.get(f"/api/v1/audit/subjects/{personal_id(1)}", headers=operator).json()
        assert [(r["system"], r["request_id"]) for r in report["items"]] == [("portal", "live-1")]
