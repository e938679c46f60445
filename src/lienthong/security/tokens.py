"""OAuth2 client credentials → short-lived JWT access tokens (RFC 9068); verification with a
small cache.

A token's JOSE header says ``typ: at+jwt`` and names its key (``kid``); its claims are ``iss``
(the deployment's public URL), ``aud`` (the resource server), ``sub`` (system id),
``client_id``, ``scope``, ``jti``, ``iat``, ``exp``, our ``org`` and ``sys`` (codes) and ``cid``
(credential id), and ``cnf`` (``x5t#S256``) when it is bound to a client certificate
(RFC 8705). Verified tokens are cached until they expire, so a busy consumer pays the signature
check once; revocation is still checked on every request (``security.state``), because the
cache only remembers that the signature was good.

Tokens of the earlier form (no ``typ``, ``iss`` "lienthong", no ``aud``, EdDSA) are accepted
for one token lifetime after the process starts, so that tokens issued before an upgrade run
out their time; after that only the RFC 9068 form verifies.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Protocol

import jwt
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.claims import Claims
from lienthong.errors import Unauthorized
from lienthong.keys import KeyRing, PublicKey, algorithm_of
from lienthong.preflight import MAX_TOKEN_TTL_SECONDS
from lienthong.registry.models import Credential, InformationSystem
from lienthong.registry.schemas import SystemStatus
from lienthong.registry.systems import touch, verify_secret

TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068 §2.1, the JOSE type, not a secret
LEGACY_ISSUER = "lienthong"
# One scope today: the whole system API (grants, data, registry reads). An absent scope means it.
SCOPES = ("api",)
TOUCH_EVERY_SECONDS = 60
_JWK_WRITERS = {"ES256": ECAlgorithm, "RS256": RSAAlgorithm, "EdDSA": OKPAlgorithm}


def public_jwk(kid: str, key: PublicKey) -> dict[str, Any]:
    algorithm = algorithm_of(key)
    jwk: dict[str, Any] = _JWK_WRITERS[algorithm].to_jwk(key, as_dict=True)  # type: ignore[attr-defined]
    return jwk | {"alg": algorithm, "use": "sig", "kid": kid}


def jwks(ring: KeyRing) -> dict[str, Any]:
    """Every key that verifies now, of whatever type (RFC 7517)."""
    return {"keys": [public_jwk(kid, key) for kid, key in sorted(ring.verifying().items())]}


def _live(session: Session, credential: Credential | None) -> Credential:
    if credential is None:
        raise Unauthorized("the client credentials are not valid", code="invalid-client")
    if credential.revoked_at is not None:
        raise Unauthorized("the client credential is revoked", code="credential-revoked")
    system = session.get(InformationSystem, credential.system_id)
    if system is None or system.status == SystemStatus.suspended.value:
        raise Unauthorized("the system is suspended", code="system-suspended")
    if not system.organisation.active:
        raise Unauthorized("the system's organisation is deactivated", code="organisation-inactive")
    return credential


def authenticate_client(*, session: Session, client_id: str, client_secret: str) -> Credential:
    """The live credential for these client credentials; any failure is one opaque error."""
    credential = session.scalars(
        select(Credential).where(Credential.client_id == client_id)
    ).first()
    if credential is not None and (
        credential.tls_client_name is not None  # authenticates by its certificate only
        or not verify_secret(client_secret, credential.secret_hash)
    ):
        credential = None
    return _live(session, credential)


def authenticate_certificate(
    *, session: Session, client_id: str, names: frozenset[str]
) -> Credential:
    """The live ``tls_client_auth`` credential whose registered certificate name (subject DN
    or a subject alternative name) is one of ``names``, the presented certificate's (RFC 8705
    §2.1; the certificate itself was verified by the TLS layer)."""
    credential = session.scalars(
        select(Credential).where(Credential.client_id == client_id)
    ).first()
    if credential is not None and (
        credential.tls_client_name is None or credential.tls_client_name not in names
    ):
        credential = None
    return _live(session, credential)


def issue_token(
    *,
    session: Session,
    ring: KeyRing,
    credential: Credential,
    ttl: int,
    issuer: str,
    audience: str,
    scope: str,
    thumbprint: str | None = None,
) -> tuple[str, Claims]:
    """A signed RFC 9068 access token; bound to the client certificate whose SHA-256
    thumbprint is ``thumbprint`` when one was presented."""
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
        thumbprint,
    )
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(system.id),
        "client_id": claims.client_id,
        "scope": scope,
        "jti": claims.jti,
        "iat": now,
        "exp": claims.exp,
        "cid": credential.id,
        "org": claims.organisation,
        "sys": claims.system,
    }
    if thumbprint is not None:
        payload["cnf"] = {"x5t#S256": thumbprint}
    token = jwt.encode(
        payload,
        ring.signing_key,
        algorithm=ring.algorithm,
        headers={"kid": ring.signing_kid, "typ": TOKEN_TYPE},
    )
    # Token requests are rare (one per TTL), so recording "last seen" here stays cheap.
    if system.last_seen_at is None or now - system.last_seen_at.timestamp() > TOUCH_EVERY_SECONDS:
        touch(session=session, system=system)
    return token, claims


class ForeignIssuers(Protocol):
    """Verifies a token whose ``iss`` is not this deployment's (federation.accept: a
    registered peer instance, by its JWKS); raises ``Unauthorized`` for any other issuer."""

    def verify(self, token: str, issuer: str, now: float) -> tuple[Claims, float]: ...


class TokenVerifier:
    """Verify signatures once per token, then answer from a bounded cache until expiry.

    A token lives at most ``MAX_TOKEN_TTL_SECONDS`` from its issue, and no longer than its
    key: one signed by a retired key is refused once that key's deadline has passed. Its
    ``typ``, ``iss`` and ``aud`` must be this deployment's; the earlier form is accepted until
    ``legacy_until`` (epoch seconds). With ``bind_certificates``, a token bound to a client
    certificate is refused unless that certificate was presented on the call. A token of
    another issuer goes to ``foreign`` when the application set it (federation), and is
    refused otherwise; its claims are cached the same way.
    """

    def __init__(
        self,
        ring: KeyRing,
        *,
        issuer: str,
        audience: str,
        legacy_until: float = 0.0,
        bind_certificates: bool = False,
        max_cached: int = 50_000,
    ) -> None:
        self.ring = ring
        self.issuer = issuer
        self.audience = audience
        self.legacy_until = legacy_until
        self.bind_certificates = bind_certificates
        self.max_cached = max_cached
        self.foreign: ForeignIssuers | None = None
        self._cache: dict[str, tuple[Claims, float]] = {}

    def verify(self, token: str, certificate: str | None = None) -> Claims:
        """The token's claims; ``certificate`` is the SHA-256 thumbprint (base64url) of the
        client certificate presented on this call, if any."""
        cached = self._cache.get(token)
        now = time.time()
        if cached is not None:
            claims, until = cached
            if until <= now:
                self._cache.pop(token, None)
                raise Unauthorized("the access token has expired", code="token-expired")
        else:
            claims, until = self._decode(token, now)
            if len(self._cache) >= self.max_cached:
                self._cache.clear()
            self._cache[token] = (claims, until)
        bound = claims.certificate if self.bind_certificates else None
        if bound is not None and not secrets.compare_digest(certificate or "", bound):
            raise Unauthorized(
                "the access token is bound to a client certificate that was not presented",
                code="invalid-token",
            )
        return claims

    def _decode(self, token: str, now: float) -> tuple[Claims, float]:
        issuer = _unverified_issuer(token)
        if self.foreign is not None and issuer not in (None, self.issuer, LEGACY_ISSUER):
            return self.foreign.verify(token, str(issuer), now)
        try:
            header = jwt.get_unverified_header(token)
            key = self.ring.verifying(now).get(str(header.get("kid")))
            if key is None:
                raise Unauthorized("the access token is not valid", code="invalid-token")
            algorithm = algorithm_of(key)  # the key decides, never the token's header
            typ = str(header.get("typ", "")).lower().removeprefix("application/")
            if typ == TOKEN_TYPE:
                data = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    issuer=self.issuer,
                    audience=self.audience,
                    options={"require": ["exp", "iat", "sub", "jti", "iss", "aud", "client_id"]},
                )
            elif typ in ("", "jwt") and now < self.legacy_until and algorithm == "EdDSA":
                data = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    issuer=LEGACY_ISSUER,
                    options={"require": ["exp", "iat", "sub", "jti", "iss"]},
                )
            else:
                raise Unauthorized("the access token is not valid", code="invalid-token")
            if int(data["exp"]) - int(data["iat"]) > MAX_TOKEN_TTL_SECONDS:
                raise Unauthorized("the access token lives too long", code="invalid-token")
            until = min(float(data["exp"]), self.ring.retiring.get(str(header["kid"]), now + 1e9))
            cnf = data.get("cnf")
            return Claims(
                int(data["sub"]),
                int(data["cid"]),
                str(data["org"]),
                str(data["sys"]),
                str(data["client_id"]),
                str(data["jti"]),
                int(data["exp"]),
                str(cnf["x5t#S256"]) if isinstance(cnf, dict) else None,
            ), until
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired", code="token-expired") from exc
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise Unauthorized("the access token is not valid", code="invalid-token") from exc


def _unverified_issuer(token: str) -> object:
    """The ``iss`` a token claims, to choose the keys that may verify it (then verified)."""
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None
