"""OAuth2 client credentials → short-lived EdDSA JWTs; verification with a small cache.

A token carries ``sub`` (system id), ``org`` and ``sys`` (codes), ``cid`` (credential id),
``client_id``, ``jti``, ``iat`` and ``exp``. Verified tokens are cached until they expire, so a
busy consumer pays the signature check once; revocation is still checked on every request
(``security.state``), because the cache only remembers that the signature was good.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.claims import Claims
from lienthong.errors import Unauthorized
from lienthong.keys import KeyRing, raw_b64url
from lienthong.preflight import MAX_TOKEN_TTL_SECONDS
from lienthong.registry.models import Credential, InformationSystem
from lienthong.registry.schemas import SystemStatus
from lienthong.registry.systems import touch, verify_secret

ISSUER = "lienthong"
ALGORITHM = "EdDSA"
TOUCH_EVERY_SECONDS = 60


def jwks(ring: KeyRing) -> dict[str, Any]:
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": ALGORITHM,
                "use": "sig",
                "kid": kid,
                "x": raw_b64url(key),
            }
            for kid, key in sorted(ring.verifying().items())
        ]
    }


def authenticate_client(*, session: Session, client_id: str, client_secret: str) -> Credential:
    """The live credential for these client credentials; any failure is one opaque error."""
    credential = session.scalars(
        select(Credential).where(Credential.client_id == client_id)
    ).first()
    if credential is None or not verify_secret(client_secret, credential.secret_hash):
        raise Unauthorized("the client credentials are not valid", code="invalid-client")
    if credential.revoked_at is not None:
        raise Unauthorized("the client credential is revoked", code="credential-revoked")
    system = session.get(InformationSystem, credential.system_id)
    if system is None or system.status == SystemStatus.suspended.value:
        raise Unauthorized("the system is suspended", code="system-suspended")
    if not system.organisation.active:
        raise Unauthorized("the system's organisation is deactivated", code="organisation-inactive")
    return credential


def issue_token(
    *, session: Session, ring: KeyRing, credential: Credential, ttl: int
) -> tuple[str, Claims]:
    system = session.get(InformationSystem, credential.system_id)
    assert system is not None
    now = int(time.time())
    claims = Claims(
        system.id,
        credential.id,
        system.organisation.code,
        system.code,
        credential.client_id,
        secrets.token_hex(16),
        now + ttl,
    )
    payload = {
        "iss": ISSUER,
        "sub": str(system.id),
        "cid": credential.id,
        "org": claims.organisation,
        "sys": claims.system,
        "client_id": claims.client_id,
        "jti": claims.jti,
        "iat": now,
        "exp": claims.exp,
    }
    token = jwt.encode(
        payload, ring.signing_key, algorithm=ALGORITHM, headers={"kid": ring.signing_kid}
    )
    # Token requests are rare (one per TTL), so recording "last seen" here stays cheap.
    if system.last_seen_at is None or now - system.last_seen_at.timestamp() > TOUCH_EVERY_SECONDS:
        touch(session=session, system=system)
    return token, claims


class TokenVerifier:
    """Verify signatures once per token, then answer from a bounded cache until expiry.

    A token lives at most ``MAX_TOKEN_TTL_SECONDS`` from its issue, and no longer than its
    key: one signed by a retired key is refused once that key's deadline has passed.
    """

    def __init__(self, ring: KeyRing, max_cached: int = 50_000) -> None:
        self.ring = ring
        self.max_cached = max_cached
        self._cache: dict[str, tuple[Claims, float]] = {}

    def verify(self, token: str) -> Claims:
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            claims, until = cached
            if until <= now:
                self._cache.pop(token, None)
                raise Unauthorized("the access token has expired", code="token-expired")
            return claims
        claims, until = self._decode(token, now)
        if len(self._cache) >= self.max_cached:
            self._cache.clear()
        self._cache[token] = (claims, until)
        return claims

    def _decode(self, token: str, now: float) -> tuple[Claims, float]:
        try:
            kid = str(jwt.get_unverified_header(token).get("kid"))
            key = self.ring.verifying(now).get(kid)
            if key is None:
                raise Unauthorized("the access token is not valid", code="invalid-token")
            data = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "iss"]},
            )
            if int(data["exp"]) - int(data["iat"]) > MAX_TOKEN_TTL_SECONDS:
                raise Unauthorized("the access token lives too long", code="invalid-token")
            until = min(float(data["exp"]), self.ring.retiring.get(kid, float(data["exp"])))
            return Claims(
                int(data["sub"]),
                int(data["cid"]),
                str(data["org"]),
                str(data["sys"]),
                str(data["client_id"]),
                str(data["jti"]),
                int(data["exp"]),
            ), until
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired", code="token-expired") from exc
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("the access token is not valid", code="invalid-token") from exc
