"""The operator credential for management endpoints (until people sign in with OpenID Connect)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets

from lienthong.config import Environment, Settings
from lienthong.preflight import operator_token_is_safe, refuse_unsafe

log = logging.getLogger("lienthong")


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def operator_token_digest(settings: Settings) -> bytes:
    """SHA-256 of the operator token; an unsafe token refuses the start in production.

    In development with no token set, one is generated once into ``data_dir/operator-token``
    (mode 0600) so that ``make run`` needs no set-up; the token itself is never logged.
    """
    token = settings.operator_token.get_secret_value() if settings.operator_token else ""
    if operator_token_is_safe(token):
        return _digest(token)
    if settings.environment is Environment.production:
        refuse_unsafe(settings)  # raises unsafe-operator-token
    if token:
        log.warning("operator token is weak; acceptable only in %s mode", settings.environment)
        return _digest(token)
    return _digest(development_token(settings))


def development_token(settings: Settings) -> str:
    path = settings.operator_token_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    log.warning("development operator token written to %s", path)
    return token


def token_matches(presented: str, digest: bytes) -> bool:
    return hmac.compare_digest(_digest(presented), digest)
