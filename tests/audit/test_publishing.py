"""Every signed checkpoint leaves the database: an append-only file and endpoints for witnesses."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.web.app import create_app
from tests.audit.factories import checkpoint_rows, read_entry
from tests.contract.test_error_shape import assert_error_shape


def _statement(published: dict[str, object]) -> bytes:
    """What an outside witness verifies: the line without ``key_id`` and ``signature``."""
    signed = {k: v for k, v in published.items() if k not in {"key_id", "signature"}}
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()


def test_checkpoints_are_published_to_a_file_and_served_to_witnesses(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "witness" / "checkpoints.jsonl"
    custom = Settings(
        **settings.model_dump() | {"audit_checkpoint_every": 5, "audit_checkpoint_file": path}
    )
    with TestClient(create_app(custom, engine=engine)) as client:
        writer = client.app.state.exchange.writer
        for n in range(12):
            writer.submit(read_entry(n)).result(30)
        latest = client.get("/api/v1/audit/checkpoints/latest")
        first = client.get("/api/v1/audit/checkpoints", params={"limit": 2})
        rest = client.get(
            "/api/v1/audit/checkpoints", params={"cursor": first.json()["next_cursor"]}
        )
        pem = client.get("/.well-known/audit-public-key.pem")
    assert latest.status_code == 200 and pem.status_code == 200, latest.text
    key = load_pem_public_key(pem.content)
    assert isinstance(key, Ed25519PublicKey)
    rows = checkpoint_rows(engine)
    published = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert [c["seq"] for c in published] == [r["seq"] for r in rows] == [1, 6, 11, 12]
    for line in published:
        key.verify(base64.b64decode(line["signature"]), _statement(line))
        assert line["every"] == 5
    assert latest.json() == published[2]
    assert first.json()["items"] + rest.json()["items"] == published[:3]


def test_before_any_checkpoint_latest_is_404(client: TestClient) -> None:
    assert_error_shape(client.get("/api/v1/audit/checkpoints/latest"), 404, "no-checkpoint")


def test_a_published_line_torn_by_a_crash_is_cut_off(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_text('{"seq": 0, "hash": "x", "signature": "y"}\n{"seq": 1, "ha')
    custom = Settings(**settings.model_dump() | {"audit_checkpoint_file": path})
    with TestClient(create_app(custom, engine=engine)) as client:
        client.app.state.exchange.writer.submit(read_entry(0)).result(30)
    lines = path.read_text("utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [0, 1]
    assert json.loads(lines[1])["hash"] == checkpoint_rows(engine)[0]["hash"]


@pytest.mark.parametrize("value", ["x", None, [1], 1.5, 10**30, True])
def test_a_cursor_that_is_not_a_checkpoint_number_is_422(client: TestClient, value: object) -> None:
    # Written by hand, as a caller probing the list would: only sealed cursors are accepted.
    crafted = base64.urlsafe_b64encode(json.dumps([value]).encode()).decode().rstrip("=")
    response = client.get("/api/v1/audit/checkpoints", params={"cursor": crafted})
    assert_error_shape(response, 422, "validation-failed", "cursor")
    assert response.json()["error"]["details"][0]["code"] == "invalid-cursor"
