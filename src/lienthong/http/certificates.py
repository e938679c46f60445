"""The client certificate presented on a call (mutual TLS, RFC 8705), when the deployment
offers it (``LIENTHONG_MTLS``).

It comes from the TLS connection when the server terminates TLS itself (the ASGI TLS
extension, ``scope["extensions"]["tls"]["client_cert_chain"]``, which ``lienthong serve``
fills), or from a header set by a TLS-terminating proxy (``LIENTHONG_MTLS_PROXY_HEADER``),
believed only from the proxies' addresses (``LIENTHONG_MTLS_TRUSTED_PROXIES``). The TLS layer
has verified the chain; here it is only read.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from lienthong.config import Settings

_NAME_TYPES = (x509.DNSName, x509.UniformResourceIdentifier, x509.RFC822Name, x509.IPAddress)


def _from_proxy(scope: Mapping[str, Any], settings: Settings) -> str | None:
    if not settings.mtls_proxy_header:
        return None
    client = scope.get("client")
    if not client or client[0] not in settings.mtls_trusted_proxies:
        return None
    wanted = settings.mtls_proxy_header.lower().encode("latin-1")
    for name, value in scope.get("headers", ()):
        if name == wanted and value:
            return unquote(value.decode("latin-1"))
    return None


def client_certificate(scope: Mapping[str, Any], settings: Settings) -> x509.Certificate | None:
    """The certificate the client presented on this call, or None (also when mTLS is off or
    the value cannot be read as a PEM certificate)."""
    if not settings.mtls:
        return None
    tls = scope.get("extensions", {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or ()
    pem = chain[0] if chain else _from_proxy(scope, settings)
    if not pem:
        return None
    try:
        return x509.load_pem_x509_certificate(pem.encode("latin-1"))
    except ValueError:
        return None


def thumbprint(certificate: x509.Certificate) -> str:
    """``x5t#S256``: base64url SHA-256 of the certificate's DER encoding (RFC 8705 §3.1)."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def presented_thumbprint(scope: Mapping[str, Any], settings: Settings) -> str | None:
    certificate = client_certificate(scope, settings)
    return None if certificate is None else thumbprint(certificate)


def certificate_names(certificate: x509.Certificate) -> frozenset[str]:
    """The names a ``tls_client_auth`` credential may be registered with: the subject DN
    (RFC 4514 string) and each DNS, URI, e-mail and IP subject alternative name."""
    names = {certificate.subject.rfc4514_string()}
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return frozenset(names)
    for kind in _NAME_TYPES:
        names.update(str(value) for value in san.get_values_for_type(kind))
    return frozenset(names)
