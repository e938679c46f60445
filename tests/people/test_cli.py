"""The console makes the first platform operator and a token for them; the token then works
through HTTP as that person."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from lienthong.config import Settings
from tests.cli import run_cli


def test_first_operator_and_a_token_from_the_console(
    settings: Settings, client: TestClient
) -> None:
    added = run_cli(
        settings,
        "people", "add",
        "--issuer", "https://sso.example",
        "--subject", "op-1",
        "--name", "Lê Văn Minh",
        "--role", "platform-operator",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    person = re.search(r"person (\d+)", added.stdout)
    assert person is not None
    made = run_cli(
        settings, "people", "token", "create", person[1], "--name", "script", "--days", "2"
    )
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().rsplit(" ", 1)[-1]
    headers = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/people/me", headers=headers).json()
    assert me["name"] == "Lê Văn Minh"
    assert me["roles"] == [{"role": "platform-operator", "organisation": None}]
    listed = run_cli(settings, "people", "token", "list", person[1], "--json")
    assert secret not in listed.stdout and '"name": "script"' in listed.stdout
    token_id = re.search(r"token (\d+)", made.stdout)
    assert token_id is not None
    revoked = run_cli(settings, "people", "token", "revoke", person[1], token_id[1])
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/api/v1/people/me", headers=headers).status_code == 401
    # A read-only token: it reads as the operator and changes nothing.
    reader = run_cli(
        settings, "people", "token", "create", person[1], "--name", "r", "--scope", "read"
    )
    assert reader.returncode == 0, reader.stderr
    read = {"Authorization": f"Bearer {reader.stdout.strip().rsplit(' ', 1)[-1]}"}
    assert client.get("/api/v1/organisations", headers=read).status_code == 200
    refused = client.post("/api/v1/organisations", json={}, headers=read)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not-permitted"
    unknown = run_cli(
        settings, "people", "token", "create", person[1], "--name", "w", "--scope", "write"
    )
    assert unknown.returncode != 0 and "unknown-scope" in unknown.stdout + unknown.stderr
