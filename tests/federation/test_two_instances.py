"""Two Lienthong instances on 127.0.0.1 read from each other under grants: the national hub
(the provider, on either engine) and a province (SQLite), each the other's peer.

The province's calling system reads a citizen at the hub with a token the province issued;
the hub verifies it with the province's JWKS and answers as to the system that stands for
the province there — under that system's grant, audited on both sides. Then the refusals: no
grant, a key the province never published, and the peer removed; and a key rotated at the
province, which the hub learns by fetching the JWKS again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from lienthong.db import transaction
from lienthong.federation import client
from lienthong.federation.service import get_peer
from lienthong.keys import load_token_keys, new_token_key
from tests.conftest import new_database
from tests.exchange.factories import issue_credential
from tests.federation.instances import Instance
from tests.federation.pair import (
    AT_HUB,
    PROVINCE_SYSTEM,
    citizens_at,
    grant_province,
    province_token,
    register_peers,
)
from tests.ingest.factories import citizen_row


@pytest.fixture
def hub(backend: str, tmp_path: Path) -> Iterator[Instance]:
    with new_database(backend, tmp_path) as url:
        instance = Instance.create("hub", tmp_path, url, federation_refresh_seconds=0)
        instance.start()
        try:
            yield instance
        finally:
            instance.stop()
            instance.engine.dispose()


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Instance]:
    url = f"sqlite+pysqlite:///{tmp_path / 'province.db'}"
    instance = Instance.create("province", tmp_path, url, federation_system=PROVINCE_SYSTEM)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
        instance.engine.dispose()


def _read(hub: Instance, token: str, key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "public-service"}
    return httpx.get(f"{hub.base}/api/v1/data/citizen/{key}", headers=headers, timeout=30)


def _cli_call(province: Instance, key: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "LIENTHONG_ENVIRONMENT": "test",
        "LIENTHONG_DATA_DIR": str(province.settings.data_dir),
        "LIENTHONG_DATABASE_URL": str(province.settings.database_url),
        "LIENTHONG_PUBLIC_URL": province.base,
        "LIENTHONG_FEDERATION_SYSTEM": PROVINCE_SYSTEM,
    }
    command = [sys.executable, "-m", "lienthong.cli", "federation", "call", "ndxp"]
    command += [f"/api/v1/data/citizen/{key}", "--purpose", "public-service"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def _rogue_token(hub: Instance, province: Instance) -> str:
    """Signed by a key the province never published, otherwise well formed."""
    now = int(time.time())
    claims = {
        "iss": province.base,
        "aud": hub.settings.audience,
        "sub": "1",
        "client_id": "ltc_rogue",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
    }
    key = ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": "rogue", "typ": "at+jwt"})


def test_two_instances_read_across_under_grants(
    hub: Instance, province: Instance, tmp_path: Path
) -> None:
    key = citizens_at(hub, tmp_path)
    register_peers(hub, province)

    # No grant yet for the province at the hub: 403, audited at the hub naming the peer.
    first = province_token(province)
    refused = _read(hub, first.value, key)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no-grant"
    [denied] = hub.wait_for("data.denied", 1)
    assert denied["outcome"] == "no-grant"
    assert denied["actor"]["system"] == "lgsp" and denied["actor"]["peer"]["name"] == "hy"

    # The hub's steward grants the province's system; the province reads with its CLI.
    grant_province(hub)
    done = _cli_call(province, key)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"personal_id": key, "full_name": citizen_row(1)["full_name"]}

    # Each side audits its own side.
    [read] = hub.entries("data.read")
    assert read["dataset"] == "citizen" and read["purpose"] == "public-service"
    assert read["actor"]["organisation"] == AT_HUB[0]
    assert read["actor"]["peer"]["issuer"] == province.base
    assert read["actor"]["peer"]["client_id"] == first.client_id
    [call] = province.entries("federation.call")
    assert (call["peer"], call["dataset"], call["status"]) == ("ndxp", "citizen", 200)
    assert call["token"] == "federated" and key not in json.dumps(call)

    # The other way in: credentials the hub issued to the province's stand-in, from a file.
    with hub.http() as h:
        issued = issue_credential(h, hub.operator, *AT_HUB)
    secrets = tmp_path / "peer-credentials.json"
    secrets.write_text(json.dumps({"ndxp": issued}))
    with_file = province.settings.model_copy(update={"federation_credentials_file": secrets})
    with transaction(province.engine) as session:
        peer = get_peer(session=session, name="ndxp")
        theirs = client.peer_token(
            session=session,
            settings=with_file,
            ring=load_token_keys(province.settings),
            peer=peer,
        )
    assert theirs.kind == "peer-credentials" and theirs.client_id == issued["client_id"]
    assert jwt.decode(theirs.value, options={"verify_signature": False})["iss"] == hub.base
    assert _read(hub, theirs.value, key).status_code == 200
    assert "peer" not in hub.entries("data.read")[-1]["actor"]  # the hub's own token

    # A key the province never published: 401, however well formed the token.
    rogue = _read(hub, _rogue_token(hub, province), key)
    assert rogue.status_code == 401 and rogue.json()["error"]["code"] == "invalid-token"
    assert hub.wait_for("data.denied", 2)[-1]["outcome"] == "invalid-token"

    # The province rotates its signing key; the hub fetches its JWKS on the unknown key id.
    new_token_key(province.settings)
    province.stop()
    province.start()
    rotated = province_token(province)
    assert (
        jwt.get_unverified_header(rotated.value)["kid"]
        != jwt.get_unverified_header(first.value)["kid"]
    )
    assert _read(hub, rotated.value, key).status_code == 200
    assert any(e.get("reason") == "unknown-kid" for e in hub.entries("federation.peer.refresh"))
    with hub.http() as h:
        shown = h.get("/api/v1/federation/peers/hy", headers=hub.operator).json()
    assert jwt.get_unverified_header(rotated.value)["kid"] in shown["keys"]

    # The peer removed at the hub: its tokens are refused, a cached one included.
    with hub.http() as h:
        assert h.delete("/api/v1/federation/peers/hy", headers=hub.operator).status_code == 204
    cached = _read(hub, rotated.value, key)
    assert cached.status_code == 401 and cached.json()["error"]["code"] == "credential-revoked"
    fresh = _read(hub, province_token(province).value, key)
    assert fresh.status_code == 401 and fresh.json()["error"]["code"] == "invalid-token"
    outcomes = [e["outcome"] for e in hub.wait_for("data.denied", 4)]
    assert outcomes[-2:] == ["credential-revoked", "invalid-token"]
    assert [e["peer"] for e in hub.entries("federation.peer.remove")] == ["hy"]
