"""Audit entries to forward, a syslog receiver on 127.0.0.1, and a test CA for TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine

from lienthong.audit import chain
from lienthong.audit.service import audit_keys
from lienthong.config import Settings
from lienthong.events import event
from tests.soc.siem.receiver import Receiver


def append_entries(engine: Engine, settings: Settings, count: int) -> list[int]:
    """``count`` audit entries like a refused token request's, through the real chain."""
    signer = audit_keys(settings).signer
    events = [
        event(
            "auth.token",
            actor={"kind": "anonymous"},
            outcome="invalid-client",
            client_id=f"client-{n}",
            ip=f"10.0.{n // 250}.{n % 250 + 1}",
        )
        for n in range(count)
    ]
    with engine.begin() as conn:
        return chain.append(conn, events, signer=signer)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())


def make_pki(folder: Path, label: str) -> tuple[Path, ssl.SSLContext]:
    """A CA (its certificate at the returned path) and a server context for 127.0.0.1."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"Test SIEM CA {label}")
    ca = _certificate(ca_name, ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate(_name("siem.test"), key, ca_name, ca_key, ca=False)
    ca_path = folder / f"ca-{label}.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain_path, key_path = folder / f"server-{label}.pem", folder / f"server-{label}.key"
    chain_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_path, key_path)
    return ca_path, context
