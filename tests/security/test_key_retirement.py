"""Access tokens live at most an hour, and never longer than their key: a retired key
(``<kid>.pub.pem``) verifies for one token lifetime after its retirement, then nothing."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.errors import Unauthorized
from lienthong.keys import load_token_keys, new_token_key, retire_token_key, tokens_dir
from lienthong.security.tokens import TokenVerifier
from lienthong.web.app import create_app
from tests.cli import run_cli
from tests.conftest import OPERATOR_TOKEN
from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import get_token, make_consumer

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def _own_keys(settings: Settings, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=settings.data_dir,
        database_url=settings.resolved_database_url,
        operator_token=OPERATOR_TOKEN,
        auto_upgrade=False,
        token_keys_dir=tmp_path / "tokens",
    )


def _grants(api: TestClient, token: dict[str, str]) -> int:
    return api.get("/api/v1/grants", headers=token).status_code


def test_a_retired_key_verifies_one_token_lifetime_then_nothing(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    own = _own_keys(settings, tmp_path)
    with TestClient(create_app(own, engine=engine)) as api:
        consumer = make_consumer(api, OPERATOR)
        old = get_token(api, consumer)
        old_kid = jwt.get_unverified_header(old["Authorization"].split()[1])["kid"]
    keys = {"LIENTHONG_TOKEN_KEYS_DIR": str(tokens_dir(own))}
    done = run_cli(own, "security", "rotate-key", env=keys)
    assert done.returncode == 0, done.stderr
    done = run_cli(own, "security", "retire-key", old_kid, env=keys)
    assert done.returncode == 0, done.stderr
    folder = tokens_dir(own)
    assert (folder / f"{old_kid}.pub.pem").is_file() and not (folder / f"{old_kid}.pem").exists()

    with TestClient(create_app(own, engine=engine)) as api:  # restarted workers
        assert _grants(api, old) == 200  # just retired: its tokens still run out their time
        kids = {k["kid"] for k in api.get("/.well-known/jwks.json").json()["keys"]}
        assert old_kid in kids
        new = get_token(api, consumer)
        assert jwt.get_unverified_header(new["Authorization"].split()[1])["kid"] != old_kid

    # One token lifetime later (the recorded retirement moved back instead of waiting).
    past = datetime.now(UTC) - timedelta(seconds=own.token_ttl_seconds + 1)
    (folder / f"{old_kid}.retired").write_text(past.isoformat())
    with TestClient(create_app(own, engine=engine)) as api:
        assert_error_shape(api.get("/api/v1/grants", headers=old), 401, "invalid-token")
        assert _grants(api, new) == 200
        kids = {k["kid"] for k in api.get("/.well-known/jwks.json").json()["keys"]}
        assert old_kid not in kids


def test_a_cached_token_does_not_outlive_its_retiring_key(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    own = _own_keys(settings, tmp_path)
    with TestClient(create_app(own, engine=engine)) as api:
        old = get_token(api, make_consumer(api, OPERATOR))["Authorization"].split()[1]
    kid = jwt.get_unverified_header(old)["kid"]
    new_token_key(own)
    retire_token_key(own, kid)
    ring = load_token_keys(own)
    assert ring.retiring[kid] > time.time() + own.token_ttl_seconds - 60
    soon = replace(ring, retiring={kid: time.time() + 0.5})  # its deadline, brought near
    verifier = TokenVerifier(soon, issuer=own.issuer, audience=own.audience)
    assert verifier.verify(old).organisation == "H33.02"  # verified once, then cached
    time.sleep(0.6)
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(old)
    assert refused.value.code == "token-expired"
    with pytest.raises(Unauthorized) as fresh:
        TokenVerifier(soon, issuer=own.issuer, audience=own.audience).verify(old)
    assert fresh.value.code == "invalid-token"


def test_a_token_living_longer_than_an_hour_is_refused(
    client: TestClient, operator: dict[str, str], settings: Settings
) -> None:
    make_consumer(client, operator)
    ring = load_token_keys(settings)
    now = int(time.time())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": "1", "cid": 1,
              "org": "H33.02", "sys": "portal", "client_id": "x", "jti": "j", "iat": now,
              "exp": now + 3601}  # fmt: skip
    token = jwt.encode(
        claims,
        ring.signing_key,
        algorithm=ring.algorithm,
        headers={"kid": ring.signing_kid, "typ": "at+jwt"},
    )
    response = client.get("/api/v1/grants", headers={"Authorization": f"Bearer {token}"})
    assert_error_shape(response, 401, "invalid-token")
