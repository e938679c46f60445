"""HTTPS straight from ``lienthong serve``, with the client's certificate for mutual TLS.

uvicorn does not hand the peer certificate to the application, so this protocol puts it in the
request scope as the ASGI TLS extension says (``scope["extensions"]["tls"]
["client_cert_chain"]``, PEM); http.certificates reads it from there, whichever server filled it.
"""

from __future__ import annotations

import ssl
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from lienthong.config import Settings


class ClientCertificateProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, adding the TLS extension to every request's scope."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        ssl_object = self.transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        chain = [ssl.DER_cert_to_PEM_cert(der)] if der else []
        extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
        extensions["tls"] = {"client_cert_chain": chain, "server_cert": None}


def tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options for HTTPS (none when no certificate is configured): client
    certificates are asked for (verified against the client CAs), not required, so that
    clients with a secret connect too."""
    if settings.tls_certfile is None:
        return {}
    options: dict[str, Any] = {
        "ssl_certfile": str(settings.tls_certfile),
        "ssl_keyfile": str(settings.tls_keyfile) if settings.tls_keyfile else None,
        "http": ClientCertificateProtocol,
    }
    if settings.tls_client_ca_file is not None:
        options["ssl_ca_certs"] = str(settings.tls_client_ca_file)
        options["ssl_cert_reqs"] = ssl.CERT_OPTIONAL
    return options
