"""The ID token check (OpenID Connect Core 3.1.3.7): signature by one of the provider's keys,
issuer, audience (and authorized party), nonce, expiry, access-token hash. joserfc decodes and
verifies; Authlib's ``CodeIDToken`` holds the claims rules.

Each failure becomes :class:`SignInRefused` with a ``reason`` the audit records: ``bad-signature``,
``unknown-key``, ``wrong-issuer``, ``wrong-audience``, ``bad-nonce``, ``expired``,
``invalid-claim``, ``malformed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingKeyError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from lienthong.signin.errors import SignInRefused

LEEWAY_SECONDS = 60  # clocks of the provider and of this platform may differ this much
_CLAIM_REASONS = {"iss": "wrong-issuer", "aud": "wrong-audience", "azp": "wrong-audience"}
_CLAIM_REASONS |= {"nonce": "bad-nonce", "exp": "expired"}


def verify_id_token(
    id_token: str,
    *,
    keys: Callable[[bool], KeySet],
    algorithms: list[str],
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """The verified claims of ``id_token``. ``keys(refresh)`` gives the provider's keys; it is
    called again with ``refresh=True`` when the token names a key id they lack (rotation)."""
    registry = JWSRegistry(algorithms=algorithms)
    try:
        try:
            token = jwt.decode(id_token, keys(False), registry=registry)
        except (InvalidKeyIdError, MissingKeyError):
            token = jwt.decode(id_token, keys(True), registry=registry)
    except (InvalidKeyIdError, MissingKeyError) as exc:
        raise SignInRefused("ID token signed by an unknown key", reason="unknown-key") from exc
    except BadSignatureError as exc:
        raise SignInRefused("ID token signature", reason="bad-signature") from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused(f"ID token: {type(exc).__name__}", reason="malformed") from exc
    params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
    if access_token:
        params["access_token"] = access_token
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
    }
    claims = CodeIDToken(token.claims, token.header, options, params)
    try:
        claims.validate(now=now, leeway=LEEWAY_SECONDS)
    except ExpiredTokenError as exc:
        raise SignInRefused("ID token expired", reason="expired") from exc
    except ClaimError as exc:
        reason = _CLAIM_REASONS.get(exc.claim, "invalid-claim")
        raise SignInRefused(f"ID token claim {exc.claim}", reason=reason) from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused(f"ID token: {type(exc).__name__}", reason="malformed") from exc
    return dict(claims)
