"""Registry changes through the API are audit entries, committed with the change itself."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.audit.service import audit_keys
from lienthong.audit.verify import verify
from lienthong.config import Settings
from tests.cli import run_cli
from tests.registry.factories import make_org, make_system


def _entries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [json.loads(body) for (body,) in rows]


def test_every_registry_change_is_audited(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    make_org(client, operator, "H33.01")
    assert client.patch(
        "/api/v1/organisations/H33.01", json={"name": "Sở Y tế"}, headers=operator
    ).is_success
    make_system(client, operator, "H33.01", "his", status="suspended")
    base = "/api/v1/organisations/H33.01/systems/his/credentials"
    issued = client.post(base, headers=operator).json()
    rotated = client.post(f"{base}/{issued['client_id']}/rotate", headers=operator).json()
    assert client.post(f"{base}/{rotated['client_id']}/revoke", headers=operator).is_success
    assert client.post("/api/v1/organisations/H33.01/deactivate", headers=operator).is_success
    refused = client.post("/api/v1/organisations/H33.01/activate")  # no operator token
    assert refused.status_code == 401

    everyone = _entries(engine)
    # The refused activation is audited as a refusal, not as a change.
    assert [e["outcome"] for e in everyone if e["action"] == "operator.denied"] == ["missing-token"]
    entries = [e for e in everyone if e["action"].split(".")[0] not in {"auth", "operator"}]
    assert [(e["action"], e["detail"], e.get("fields")) for e in entries] == [
        ("organisation.create", {"organisation": "H33.01"}, None),
        ("organisation.update", {"organisation": "H33.01"}, ["name"]),
        ("system.create", {"organisation": "H33.01", "system": "his"}, None),
        ("system.update", {"organisation": "H33.01", "system": "his"}, ["status"]),
        (
            "credential.issue",
            {"organisation": "H33.01", "system": "his", "client_id": issued["client_id"]},
            None,
        ),
        (
            "credential.rotate",
            {
                "organisation": "H33.01",
                "system": "his",
                "client_id": rotated["client_id"],
                "replaces": issued["client_id"],
            },
            None,
        ),
        (
            "credential.revoke",
            {"organisation": "H33.01", "system": "his", "client_id": rotated["client_id"]},
            None,
        ),
        ("organisation.deactivate", {"organisation": "H33.01"}, None),
    ]
    assert all(
        e["actor"] == {"kind": "operator", "break_glass": True} and e["outcome"] == "ok"
        for e in entries
    )
    everything = json.dumps(_entries(engine))
    assert issued["client_secret"] not in everything and rotated["client_secret"] not in everything
    with engine.connect() as conn:
        assert verify(conn, audit_keys(settings).signing_key.public_key()).ok


def test_a_failed_change_leaves_no_entry(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    make_org(client, operator, "H33.01")
    again = client.post(
        "/api/v1/organisations",
        json={"code": "H33.01", "name": "x", "level": "province", "unit_code": "33"},
        headers=operator,
    )
    assert again.status_code == 409
    changes = [e["action"] for e in _entries(engine) if e["action"] != "operator.break-glass"]
    assert changes == ["organisation.create"]


def test_a_rotation_is_the_same_entry_from_the_api_and_the_command_line(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> None:
    # The services write the entry; each face only says who acts.
    make_org(client, operator, "H33.01")
    make_system(client, operator, "H33.01", "his")
    base = "/api/v1/organisations/H33.01/systems/his/credentials"
    issued = client.post(base, headers=operator).json()["client_id"]
    assert client.post(f"{base}/{issued}/rotate", headers=operator).is_success
    done = run_cli(settings, "systems", "rotate-credential", "H33.01", "his", issued, "--json")
    assert done.returncode == 0, done.stderr
    through_api, from_cli = [e for e in _entries(engine) if e["action"] == "credential.rotate"]
    expected = {
        "organisation": "H33.01",
        "system": "his",
        "client_id": json.loads(done.stdout)["client_id"],
        "replaces": issued,
    }
    assert through_api["detail"] == from_cli["detail"] == expected
    assert through_api["actor"] == {"kind": "operator", "break_glass": True}
    assert from_cli["actor"]["via"] == "cli"
