"""A peer's public keys: fetched over HTTP (httpx), checked, kept as JSON in the peer's row."""

from __future__ import annotations

import json
from typing import Any

import httpx

from lienthong.errors import LienthongError

MAX_JWKS_BYTES = 256 * 1024
# The algorithms a peer's token may be signed with (the ones this platform issues).
ALGORITHMS = ("ES256", "RS256", "EdDSA")


class PeerUnreachable(LienthongError):
    code = "peer-unreachable"
    status = 502


def fetch_jwks(url: str, *, timeout: float) -> dict[str, Any]:
    """The JWKS at ``url`` (RFC 7517): a ``keys`` list of keys that each name their ``kid``."""
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        failure = type(exc).__name__
        raise PeerUnreachable(f"the peer's JWKS could not be fetched: {failure}") from exc
    if response.status_code != 200:
        raise PeerUnreachable(f"the peer's JWKS answered HTTP {response.status_code}")
    if len(response.content) > MAX_JWKS_BYTES:
        raise PeerUnreachable("the peer's JWKS is too large")
    try:
        document = response.json()
    except ValueError as exc:
        raise PeerUnreachable("the peer's JWKS is not JSON") from exc
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not all(
        isinstance(k, dict) and isinstance(k.get("kid"), str) and "kty" in k for k in keys
    ):
        raise PeerUnreachable("the peer's JWKS has no list of keys with key ids")
    return {"keys": keys}


def keys_of(stored: str | None) -> dict[str, dict[str, Any]]:
    """The cached keys by key id."""
    if not stored:
        return {}
    return {str(k["kid"]): k for k in json.loads(stored)["keys"]}


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)
