"""Client credentials → RFC 9068 JWT (ES256 by default); JWKS; failures refused at once as
OAuth errors (RFC 6749 §5.2) and audited."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from fastapi.testclient import TestClient

from lienthong.config import Settings
from lienthong.errors import ConfigurationError
from lienthong.keys import load_token_keys, new_token_key
from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import get_token, make_consumer


def _entries(client: TestClient, engine) -> list[dict]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [
            json.loads(b)
            for (b,) in conn.exec_driver_sql("SELECT body FROM audit_entries ORDER BY seq")
        ]


def test_token_is_an_rfc9068_jwt_verifiable_with_the_jwks(
    client, operator, engine, settings
) -> None:
    consumer = make_consumer(client, operator)
    headers = get_token(client, consumer)
    token = headers["Authorization"].split()[1]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt"
    keys = client.get("/.well-known/jwks.json").json()["keys"]
    key = next(k for k in keys if k["kid"] == header["kid"])
    assert key["kty"] == "EC" and key["crv"] == "P-256" and "d" not in key
    public = jwt.PyJWK(key).key
    claims = jwt.decode(
        token, public, algorithms=["ES256"], issuer=settings.issuer, audience=settings.audience
    )
    assert claims["iss"].startswith("http://") and claims["scope"] == "api"
    assert claims["org"] == "H33.02" and claims["sys"] == "portal"
    assert claims["client_id"] == consumer["client_id"] and claims["jti"]
    assert claims["exp"] - claims["iat"] == 300
    system = client.get("/api/v1/organisations/H33.02/systems/portal", headers=operator).json()
    assert system["last_seen_at"] is not None


def test_http_basic_is_accepted(client, operator, engine) -> None:
    consumer = make_consumer(client, operator)
    basic = base64.b64encode(f"{consumer['client_id']}:{consumer['client_secret']}".encode())
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic.decode()}"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", ["wrong-secret", "unknown-client", "revoked", "suspended"])
def test_failures_are_refused_and_audited(client, operator, engine, case: str) -> None:
    consumer = make_consumer(client, operator)
    base = f"/api/v1/organisations/{consumer['org']}/systems/{consumer['system']}"
    form = {
        "grant_type": "client_credentials",
        "client_id": consumer["client_id"],
        "client_secret": consumer["client_secret"],
    }
    if case == "wrong-secret":
        form["client_secret"] = "lts_wrong"
    elif case == "unknown-client":
        form["client_id"] = "ltc_nobody"
    elif case == "revoked":
        client.post(f"{base}/credentials/{consumer['client_id']}/revoke", headers=operator)
    else:
        client.patch(base, json={"status": "suspended"}, headers=operator)
    response = client.post("/oauth/token", data=form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="lienthong"'
    assert response.headers["cache-control"] == "no-store"
    expected = {
        "wrong-secret": "invalid-client",
        "unknown-client": "invalid-client",
        "revoked": "credential-revoked",
        "suspended": "system-suspended",
    }[case]
    failures = [
        e for e in _entries(client, engine) if e["action"] == "auth.token" and e["outcome"] != "ok"
    ]
    assert [f["outcome"] for f in failures] == [expected]
    assert consumer["client_secret"] not in json.dumps(failures)


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "api admin"}, "invalid_scope"),
    ],
)
def test_request_errors_are_oauth_errors(client, operator, form, error) -> None:
    consumer = make_consumer(client, operator)
    credentials = {"client_id": consumer["client_id"], "client_secret": consumer["client_secret"]}
    response = client.post("/oauth/token", data=credentials | form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error and isinstance(body["error_description"], str)
    assert set(body) == {"error", "error_description"}


def test_basic_and_form_secret_together_is_invalid_request(client, operator) -> None:
    consumer = make_consumer(client, operator)
    basic = base64.b64encode(f"{consumer['client_id']}:{consumer['client_secret']}".encode())
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": consumer["client_secret"]},
        headers={"Authorization": f"Basic {basic.decode()}"},
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_rotation_keeps_old_tokens_valid(tmp_path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path)
    first = load_token_keys(settings)
    old = jwt.encode(
        {"sub": "1"}, first.signing_key, algorithm="ES256", headers={"kid": first.signing_kid}
    )

    new_kid = new_token_key(settings)
    second = load_token_keys(settings)
    assert second.signing_kid == new_kid != first.signing_kid
    assert set(second.verification) == {first.signing_kid, new_kid}
    kid = jwt.get_unverified_header(old)["kid"]
    assert jwt.decode(old, second.verification[kid], algorithms=["ES256"])["sub"] == "1"


def test_production_refuses_to_start_without_keys(tmp_path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path)
    with pytest.raises(ConfigurationError):
        load_token_keys(settings)


def test_a_repeated_parameter_is_invalid_request(client, operator) -> None:
    consumer = make_consumer(client, operator)
    body = (
        f"grant_type=client_credentials&client_id={consumer['client_id']}"
        f"&client_secret={consumer['client_secret']}&scope=api&scope=api"
    )
    response = client.post(
        "/oauth/token",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
    assert "scope" in response.json()["error_description"]


def test_a_certificate_credential_has_no_secret_to_rotate(client, operator) -> None:
    consumer = make_consumer(client, operator)
    base = f"/api/v1/organisations/{consumer['org']}/systems/{consumer['system']}/credentials"
    issued = client.post(
        base, json={"tls_client_name": "CN=portal,O=H33.02,C=VN"}, headers=operator
    )
    assert issued.status_code == 201 and issued.json()["client_secret"] is None
    client_id = issued.json()["client_id"]
    rotated = client.post(f"{base}/{client_id}/rotate", headers=operator)
    assert_error_shape(rotated, 409, "certificate-credential")
    # Without a certificate (mutual TLS is off here) it gets no token, whatever secret is sent.
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": ""}
    assert client.post("/oauth/token", data=form).json()["error"] == "invalid_client"
