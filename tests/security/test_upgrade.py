"""Upgrading a deployment: its Ed25519 keys keep signing until it rotates to ES256, and tokens
of the earlier form (no ``typ``, ``iss`` "lienthong", no ``aud``) run out their time, then
verify no more. And certificate-bound tokens through a TLS-terminating proxy's header."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.errors import Unauthorized
from lienthong.keys import load_token_keys, new_token_key
from lienthong.security.tokens import TokenVerifier
from lienthong.web.app import create_app
from tests.conftest import OPERATOR_TOKEN
from tests.exchange.factories import get_token, make_consumer
from tests.security.test_stock_clients import pki as pki

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def _settings(settings: Settings, tmp_path: Path, **more: object) -> Settings:
    return Settings(
        environment="test",
        data_dir=settings.data_dir,
        database_url=settings.resolved_database_url,
        operator_token=OPERATOR_TOKEN,
        auto_upgrade=False,
        token_keys_dir=tmp_path / "tokens",
        **more,  # type: ignore[arg-type]
    )


def _legacy(ring, consumer_claims: dict) -> str:  # type: ignore[no-untyped-def,type-arg]
    """A token exactly as the earlier version issued it."""
    now = int(time.time())
    payload = consumer_claims | {"iss": "lienthong", "iat": now, "exp": now + 300}
    for claim in ("aud", "scope", "cnf"):
        payload.pop(claim, None)
    return jwt.encode(
        payload, ring.signing_key, algorithm="EdDSA", headers={"kid": ring.signing_kid}
    )


def test_an_ed25519_deployment_upgrades_without_logging_anyone_out(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    own = _settings(settings, tmp_path)
    new_token_key(own, "EdDSA")  # what the earlier version generated
    with TestClient(create_app(own, engine=engine)) as api:
        consumer = make_consumer(api, OPERATOR)
        current = get_token(api, consumer)["Authorization"].split()[1]
        # No algorithm chosen: the key it has keeps signing, now in the RFC 9068 form.
        assert jwt.get_unverified_header(current) | {"kid": ""} == {
            "alg": "EdDSA", "typ": "at+jwt", "kid": ""}  # fmt: skip
        ring = api.app.state.exchange.ring  # type: ignore[attr-defined]
        claims = jwt.decode(current, options={"verify_signature": False})
        old = _legacy(ring, claims)
        assert (
            api.get("/api/v1/grants", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        )

    # The operator chooses ES256 and rotates: ES256 signs, the Ed25519 key still verifies.
    es256 = _settings(settings, tmp_path, token_algorithm="ES256")
    new_token_key(es256)
    with TestClient(create_app(es256, engine=engine)) as api:
        fresh = get_token(api, consumer)["Authorization"].split()[1]
        assert jwt.get_unverified_header(fresh)["alg"] == "ES256"
        for token in (current, old, fresh):
            assert (
                api.get("/api/v1/grants", headers={"Authorization": f"Bearer {token}"}).status_code
                == 200
            )
        kinds = {k["kty"] for k in api.get("/.well-known/jwks.json").json()["keys"]}
        assert kinds == {"OKP", "EC"}

    # One longest token lifetime after the upgrade, the earlier form is refused.
    ring = load_token_keys(es256)
    after = TokenVerifier(
        ring, issuer=es256.issuer, audience=es256.audience, legacy_until=time.time() - 1
    )
    with pytest.raises(Unauthorized) as refused:
        after.verify(old)
    assert refused.value.code == "invalid-token"
    assert after.verify(current).client_id == consumer["client_id"]


def test_a_token_for_another_audience_or_issuer_is_refused(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    own = _settings(settings, tmp_path)
    with TestClient(create_app(own, engine=engine)) as api:
        token = get_token(api, make_consumer(api, OPERATOR))["Authorization"].split()[1]
    ring = load_token_keys(own)
    for issuer, audience in (
        (own.issuer, "https://other.example/api"),
        ("https://x.example", own.audience),
    ):
        with pytest.raises(Unauthorized):
            TokenVerifier(ring, issuer=issuer, audience=audience).verify(token)


def test_a_certificate_from_a_trusted_proxy_binds_the_token(
    settings: Settings,
    engine: Engine,
    tmp_path: Path,
    pki: dict[str, object],
) -> None:
    own = _settings(
        settings, tmp_path, mtls=True, mtls_proxy_header="X-Client-Cert",
        mtls_trusted_proxies=["testclient"],
    )  # fmt: skip
    pem = (Path(str(pki["dir"])) / "client.crt").read_text()
    header = {"X-Client-Cert": quote(pem)}
    with TestClient(create_app(own, engine=engine)) as api:
        consumer = make_consumer(api, OPERATOR)
        form = {"grant_type": "client_credentials"} | {
            k: consumer[k] for k in ("client_id", "client_secret")
        }
        issued = api.post("/oauth/token", data=form, headers=header)
        assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["cnf"] == {"x5t#S256": pki["thumbprint"]}
        bearer = {"Authorization": f"Bearer {token}"}
        assert api.get("/api/v1/grants", headers=bearer | header).status_code == 200
        refused = api.get("/api/v1/grants", headers=bearer)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].endswith('error="invalid_token"')
        # The personal-data path checks the binding too (before anything else).
        read = api.get(
            "/api/v1/data/citizen/001090000001", headers=bearer | {"X-Purpose": "public-service"}
        )
        assert read.status_code == 401 and read.json()["error"]["code"] == "invalid-token"

    untrusted = _settings(settings, tmp_path, mtls=True, mtls_proxy_header="X-Client-Cert")
    with TestClient(create_app(untrusted, engine=engine)) as api:
        issued = api.post("/oauth/token", data=form, headers=header)
        assert "cnf" not in jwt.decode(
            issued.json()["access_token"], options={"verify_signature": False}
        )
