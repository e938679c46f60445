"""Registering peer instances: the API and the commands, each change audited; the refusals."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from tests.cli import run_cli
from tests.federation.instances import free_port
from tests.federation.jwks_server import jwks_of, jwks_server
from tests.registry.factories import make_org, make_system

PEERS = "/api/v1/federation/peers"


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        return [
            json.loads(b)["action"] for (b,) in rows if json.loads(b)["action"].startswith("fed")
        ]


def _stand_in(client: TestClient, operator: dict[str, str]) -> dict[str, str]:
    make_org(client, operator, "NDXP", name="Nền tảng NDXP")
    make_system(client, operator, "NDXP", "ndxp")
    return {"organisation": "NDXP", "system": "ndxp"}


def test_add_list_refresh_remove(
    client: TestClient, operator: dict[str, str], engine: Engine
) -> None:
    local = _stand_in(client, operator)
    with jwks_server() as (base, served):
        body = {"name": "ndxp", "issuer": base + "/"} | local
        added = client.post(PEERS, json=body, headers=operator)
        assert added.status_code == 201, added.text
        shown = added.json()
        assert (shown["issuer"], shown["keys"]) == (base, ["k1"])
        assert shown["jwks_url"] == f"{base}/.well-known/jwks.json"
        assert shown["audience"] == f"{base}/api/v1" and shown["system"] == "ndxp"

        again = client.post(PEERS, json=body | {"name": "other"}, headers=operator)
        assert again.status_code == 409 and again.json()["error"]["code"] == "peer-exists"

        served.body = json.dumps(jwks_of("k2", "k3")).encode()
        refreshed = client.post(f"{PEERS}/ndxp/refresh", headers=operator)
        assert refreshed.status_code == 200 and refreshed.json()["keys"] == ["k2", "k3"]
        assert served.fetches == 2
    listed = client.get(PEERS, headers=operator).json()
    assert [p["name"] for p in listed] == ["ndxp"]
    assert client.delete(f"{PEERS}/ndxp", headers=operator).status_code == 204
    assert client.get(f"{PEERS}/ndxp", headers=operator).status_code == 404
    assert _actions(engine) == [
        "federation.peer.add",
        "federation.peer.refresh",
        "federation.peer.remove",
    ]
    # The stand-in system keeps its peer credential, revoked: nothing can use it.
    credentials = client.get(
        "/api/v1/organisations/NDXP/systems/ndxp/credentials", headers=operator
    ).json()["items"]
    assert [c["client_id"][:4] for c in credentials] == ["ltf_"]
    assert all(c["revoked_at"] for c in credentials)


def test_refusals(
    client: TestClient, operator: dict[str, str], settings: Settings, engine: Engine
) -> None:
    local = _stand_in(client, operator)
    nobody = f"http://127.0.0.1:{free_port()}"
    unreachable = client.post(PEERS, json={"name": "x", "issuer": nobody} | local, headers=operator)
    assert unreachable.status_code == 502
    assert unreachable.json()["error"]["code"] == "peer-unreachable"
    itself = {"name": "x", "issuer": settings.issuer} | local
    refused = client.post(PEERS, json=itself, headers=operator)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "peer-is-self"
    with jwks_server() as (base, served):
        served.body = b'{"keys": [{"kty": "EC"}]}'  # no key id
        bad = client.post(PEERS, json={"name": "x", "issuer": base} | local, headers=operator)
        assert bad.status_code == 502 and bad.json()["error"]["code"] == "peer-unreachable"
        unknown = {"name": "x", "issuer": base, "organisation": "NDXP", "system": "nope"}
        assert client.post(PEERS, json=unknown, headers=operator).status_code == 404
    invalid = {"name": "x", "issuer": "ftp://example.org\x00"} | local
    assert client.post(PEERS, json=invalid, headers=operator).status_code == 422
    assert client.get(PEERS, headers=operator).json() == []
    assert _actions(engine) == []


def test_peer_commands(
    settings: Settings, engine: Engine, client: TestClient, operator: dict[str, str]
) -> None:
    _stand_in(client, operator)
    with jwks_server() as (base, _served):
        added = run_cli(
            settings,
            "federation",
            "peers",
            "add",
            "ndxp",
            "--issuer",
            base,
            "--system",
            "NDXP/ndxp",
            "--json",
        )
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["keys"] == ["k1"]
        refreshed = run_cli(settings, "federation", "peers", "refresh", "ndxp", "--json")
        assert refreshed.returncode == 0, refreshed.stderr
    listed = run_cli(settings, "federation", "peers", "list", "--json")
    assert [p["name"] for p in json.loads(listed.stdout)] == ["ndxp"]
    removed = run_cli(settings, "federation", "peers", "remove", "ndxp")
    assert removed.returncode == 0, removed.stderr
    missing = run_cli(settings, "federation", "peers", "remove", "ndxp")
    assert missing.returncode == 1 and json.loads(missing.stderr)["error"]["code"] == "not-found"
    bad_path = run_cli(
        settings, "federation", "call", "ndxp", "https://elsewhere/x", "--purpose", "p"
    )
    assert bad_path.returncode == 1
    assert _actions(engine) == [
        "federation.peer.add",
        "federation.peer.refresh",
        "federation.peer.remove",
        "federation.call",
    ]
