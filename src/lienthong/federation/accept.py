"""Accepting a peer's access tokens: the caller becomes the peer's local system.

``PeerTokens`` is what security.tokens.TokenVerifier asks about a token of another issuer
(the application sets it as the verifier's ``foreign``). The token must be RFC 9068
(``typ: at+jwt``), signed by a key of the peer's cached JWKS with an allowed algorithm, for
this deployment's audience, and alive (``exp``, ``iat``, ``nbf`` with a small leeway). Its
claims then name the peer's local system and credential, so that the ordinary path follows:
liveness (a removed peer's credential is revoked), rate limit, purpose, grants, audit — the
audit entry naming the peer and the token's own ``sub`` and ``client_id`` there.

A key id the cache does not know makes one fetch of the peer's JWKS (a key rotated there),
at most once per ``LIENTHONG_FEDERATION_REFRESH_SECONDS`` per peer across all workers; the
fetch waits at most ``LIENTHONG_FEDERATION_FETCH_TIMEOUT_SECONDS``, on the calling worker.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import Engine, select, update

from lienthong.audit.service import record
from lienthong.claims import Claims, Foreign
from lienthong.config import Settings
from lienthong.db import transaction, utcnow
from lienthong.errors import LienthongError, Unauthorized
from lienthong.events import event
from lienthong.federation.jwks import ALGORITHMS, dump, fetch_jwks, keys_of
from lienthong.federation.models import Peer
from lienthong.preflight import MAX_TOKEN_TTL_SECONDS
from lienthong.registry.models import Credential, InformationSystem, Organisation
from lienthong.security.tokens import TOKEN_TYPE

log = logging.getLogger("lienthong")
peers = Peer.__table__
REQUIRED = ["exp", "iat", "sub", "jti", "iss", "aud", "client_id"]
_FIND = (
    select(
        peers.c.id,
        peers.c.name,
        peers.c.jwks,
        peers.c.jwks_url,
        peers.c.system_id,
        peers.c.credential_id,
        Credential.__table__.c.client_id,
        Organisation.__table__.c.code.label("organisation"),
        InformationSystem.__table__.c.code.label("system"),
    )
    .join(Credential.__table__, Credential.__table__.c.id == peers.c.credential_id)
    .join(InformationSystem.__table__, InformationSystem.__table__.c.id == peers.c.system_id)
    .join(
        Organisation.__table__,
        Organisation.__table__.c.id == InformationSystem.__table__.c.organisation_id,
    )
)
AUTOMATIC = {"kind": "platform", "via": "federation"}


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, code="invalid-token")


class PeerTokens:
    """Verifies tokens issued by registered peers (security.tokens.ForeignIssuers)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def verify(self, token: str, issuer: str, now: float) -> tuple[Claims, float]:
        with self.engine.connect() as conn:
            peer = conn.execute(_FIND.where(peers.c.issuer == issuer)).first()
        if peer is None:
            raise _invalid("the access token is not valid")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _invalid("the access token is not valid") from exc
        algorithm, kid = header.get("alg"), str(header.get("kid"))
        typ = str(header.get("typ", "")).lower().removeprefix("application/")
        if algorithm not in ALGORITHMS or typ != TOKEN_TYPE:
            raise _invalid("the peer's access token is not an RFC 9068 token we accept")
        jwk = keys_of(peer.jwks).get(kid) or self._refreshed(peer, kid)
        if jwk is None or jwk.get("alg", algorithm) != algorithm:
            raise _invalid("the peer's access token is signed by a key it does not publish")
        leeway = self.settings.federation_leeway_seconds
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm).key
            data = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=issuer,
                audience=self.settings.audience,
                leeway=leeway,
                options={"require": REQUIRED},
            )
            if int(data["exp"]) - int(data["iat"]) > MAX_TOKEN_TTL_SECONDS:
                raise _invalid("the access token lives too long")
            foreign = Foreign(peer.name, issuer, str(data["sub"]), str(data["client_id"]))
            claims = Claims(
                peer.system_id,
                peer.credential_id,
                peer.organisation,
                peer.system,
                peer.client_id,
                str(data["jti"]),
                int(data["exp"]),
                None,
                foreign,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired", code="token-expired") from exc
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise _invalid("the access token is not valid") from exc
        return claims, float(data["exp"]) + leeway

    def _refreshed(self, peer: Any, kid: str) -> dict[str, Any] | None:
        """The key ``kid`` after fetching the peer's JWKS again, if this worker may fetch now
        (a refusal otherwise: an unknown key id must not become a flood of fetches)."""
        moment = utcnow()
        since = moment - timedelta(seconds=self.settings.federation_refresh_seconds)
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(Peer)
                .where(Peer.id == peer.id)
                .where(Peer.refresh_tried_at.is_(None) | (Peer.refresh_tried_at < since))
                .values(refresh_tried_at=moment)
            ).rowcount
        if not claimed:
            return None
        try:
            document = fetch_jwks(
                peer.jwks_url, timeout=self.settings.federation_fetch_timeout_seconds
            )
        except LienthongError as error:
            log.warning("peer %s: %s", peer.name, error.message)
            return None
        with transaction(self.engine) as session:
            session.execute(
                update(Peer)
                .where(Peer.id == peer.id)
                .values(jwks=dump(document), jwks_fetched_at=utcnow())
            )
            entry = event(
                "federation.peer.refresh", actor=AUTOMATIC, peer=peer.name, reason="unknown-kid"
            )
            record(session=session, settings=self.settings, entry=entry)
        return keys_of(dump(document)).get(kid)
