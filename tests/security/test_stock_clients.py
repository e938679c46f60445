"""The token service as government clients meet it: a real `lienthong serve` on 127.0.0.1,
driven by a stock OAuth2 client (Authlib), its tokens verified by an independent JOSE library
(joserfc) from the JWKS found through the RFC 8414 metadata, as a Java or .NET resource server
would; and mutual TLS (RFC 8705) with certificates made here, over a real TLS connection."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from tests.exchange.test_live_server import _free_port

TOKEN = "stock-client-operator-token-0123456789"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
CLIENT_DN = "CN=portal,O=H33.05,C=VN"


def _serve(tmp_path: Path, scheme: str, extra: dict[str, str], verify: object) -> Iterator[str]:
    port = _free_port()
    base = f"{scheme}://127.0.0.1:{port}"
    env = (
        os.environ
        | {
            "LIENTHONG_ENVIRONMENT": "test",
            "LIENTHONG_DATA_DIR": str(tmp_path / "data"),
            "LIENTHONG_OPERATOR_TOKEN": TOKEN,
            "LIENTHONG_LOG_LEVEL": "warning",
            "LIENTHONG_PUBLIC_URL": base,
        }
        | extra
    )
    env.pop("LIENTHONG_DATABASE_URL", None)
    command = [sys.executable, "-m", "lienthong.cli", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 180  # a loaded machine starts a Python server slowly
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1, verify=verify).status_code == 200:  # type: ignore[arg-type]
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _system(http: httpx.Client, body: dict[str, str] | None = None) -> dict[str, str]:
    """H33.05/portal and a credential for it (a secret, or a certificate name)."""
    org = {"code": "H33.05", "name": "Sở H33.05", "level": "province", "unit_code": "33"}
    http.post("/api/v1/organisations", json=org, headers=OPERATOR)
    http.post(
        "/api/v1/organisations/H33.05/systems",
        json={"code": "portal", "name": "portal"},
        headers=OPERATOR,
    )
    issued = http.post(
        "/api/v1/organisations/H33.05/systems/portal/credentials", json=body, headers=OPERATOR
    )
    assert issued.status_code == 201, issued.text
    found: dict[str, str] = issued.json()
    return found


def _verify_independently(token: str, metadata: dict[str, object], verify: object) -> dict:  # type: ignore[type-arg]
    """What a resource server does: discovery → JWKS → signature, typ, iss, aud, exp."""
    jwks = httpx.get(str(metadata["jwks_uri"]), verify=verify).json()  # type: ignore[arg-type]
    decoded = jose_jwt.decode(token, KeySet.import_key_set(jwks))
    assert decoded.header["typ"] == "at+jwt"
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": f"{metadata['issuer']}/api/v1"},
        exp={"essential": True},
        sub={"essential": True},
        jti={"essential": True},
        client_id={"essential": True},
    )
    registry.validate(decoded.claims)
    return decoded.claims


@pytest.fixture(params=["ES256", "RS256"])
def plain_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    algorithm = str(request.param)
    for base in _serve(tmp_path, "http", {"LIENTHONG_TOKEN_ALGORITHM": algorithm}, True):
        yield base, algorithm


def test_a_stock_oauth_client_gets_tokens_a_resource_server_verifies(
    plain_server: tuple[str, str],
) -> None:
    base, algorithm = plain_server
    with httpx.Client(base_url=base, timeout=30) as http:
        credential = _system(http)
        metadata = http.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == base
    assert metadata["token_endpoint"] == f"{base}/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert {"client_secret_basic", "client_secret_post"} <= set(
        metadata["token_endpoint_auth_methods_supported"]
    )
    assert "tls_client_auth" not in metadata["token_endpoint_auth_methods_supported"]

    for method in ("client_secret_basic", "client_secret_post"):
        with OAuth2Client(
            credential["client_id"],
            credential["client_secret"],
            token_endpoint_auth_method=method,
        ) as client:
            token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
            assert token["token_type"] == "Bearer" and token["scope"] == "api"
            claims = _verify_independently(token["access_token"], metadata, True)
            assert claims["client_id"] == credential["client_id"] and claims["scope"] == "api"
            header = token["access_token"].split(".")[0]
            assert f'"alg":"{algorithm}"'.encode() in base64.urlsafe_b64decode(header + "==")
            assert client.get(f"{base}/api/v1/grants").status_code == 200

    keys = httpx.get(metadata["jwks_uri"]).json()["keys"]
    assert {k["kty"] for k in keys} == {"EC" if algorithm == "ES256" else "RSA"}
    assert not any("d" in k or "p" in k for k in keys)  # public parts only

    with (
        OAuth2Client(credential["client_id"], "lts_wrong") as client,
        pytest.raises(OAuthError) as refused,
    ):
        client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
    with OAuth2Client(credential["client_id"], credential["client_secret"]) as client:
        with pytest.raises(OAuthError) as refused:
            client.fetch_token(
                metadata["token_endpoint"], grant_type="client_credentials", scope="admin"
            )
        assert refused.value.error == "invalid_scope"
    forged = httpx.get(f"{base}/api/v1/grants", headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"] == 'Bearer realm="lienthong", error="invalid_token"'


# Mutual TLS: a CA, the server's certificate for 127.0.0.1 and a client's, made here.


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "H33.05"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    san: x509.GeneralName | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _write(path: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, object]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test provincial CA")])
    ca = _certificate(ca_name, ca_key, ca_name, ca_key, ca=True)
    server_key, client_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    server = _certificate(
        _name("127.0.0.1"), server_key, ca_name, ca_key,
        san=x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    )  # fmt: skip
    client = _certificate(_name("portal"), client_key, ca_name, ca_key)
    _write(tmp_path / "ca", ca, ca_key)
    _write(tmp_path / "server", server, server_key)
    _write(tmp_path / "client", client, client_key)
    der = client.public_bytes(serialization.Encoding.DER)
    thumb = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    return {"dir": tmp_path, "thumbprint": thumb}


@pytest.fixture
def tls_server(pki: dict[str, object], tmp_path: Path) -> Iterator[str]:
    folder = Path(str(pki["dir"]))
    extra = {
        "LIENTHONG_MTLS": "true",
        "LIENTHONG_TLS_CERTFILE": str(folder / "server.crt"),
        "LIENTHONG_TLS_KEYFILE": str(folder / "server.key"),
        "LIENTHONG_TLS_CLIENT_CA_FILE": str(folder / "ca.crt"),
    }
    yield from _serve(tmp_path, "https", extra, _trusting(folder))


def _trusting(folder: Path, *, present: bool = False) -> ssl.SSLContext:
    """A client's TLS context: trusts the test CA, presents the client certificate if told."""
    context = ssl.create_default_context(cafile=str(folder / "ca.crt"))
    if present:
        context.load_cert_chain(str(folder / "client.crt"), str(folder / "client.key"))
    return context


def test_tls_client_auth_issues_certificate_bound_tokens(
    tls_server: str, pki: dict[str, object]
) -> None:
    folder = Path(str(pki["dir"]))
    ca = _trusting(folder)
    with httpx.Client(base_url=tls_server, verify=ca, timeout=30) as http:
        credential = _system(http, {"tls_client_name": CLIENT_DN})
        assert credential["client_secret"] is None
        metadata = http.get("/.well-known/oauth-authorization-server").json()
    assert "tls_client_auth" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["tls_client_certificate_bound_access_tokens"] is True

    # tls_client_auth sends the client id alone (as method "none" does); the TLS layer
    # carries the certificate.
    with OAuth2Client(
        credential["client_id"],
        token_endpoint_auth_method="none",
        verify=_trusting(folder, present=True),
    ) as client:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        claims = _verify_independently(token["access_token"], metadata, ca)
        assert claims["cnf"] == {"x5t#S256": pki["thumbprint"]}
        assert client.get(f"{tls_server}/api/v1/grants").status_code == 200

    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    with httpx.Client(verify=ca) as stolen:  # the same token without the certificate
        refused = stolen.get(f"{tls_server}/api/v1/grants", headers=bearer)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]

    with (
        OAuth2Client(  # no certificate: no authentication
            credential["client_id"], token_endpoint_auth_method="none", verify=ca
        ) as client,
        pytest.raises(OAuthError) as failed,
    ):
        client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert failed.value.error == "invalid_client"
