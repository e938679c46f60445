"""Peer instances: register, list, remove, refresh their keys. Every change is audited in the
caller's transaction; the services flush, the faces commit.

Registering a peer makes, for the local system that stands for it, a credential of its own
(client id ``ltf_…``) with no usable secret: tokens are never issued for it here, it only
carries the peer's callers through the ordinary liveness check (security.state). Removing the
peer revokes it, so a token of the peer still in a worker's cache is refused on its next use.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import BadRequest, Conflict, ErrorDetail, NotFound
from lienthong.events import event
from lienthong.federation.jwks import dump, fetch_jwks, keys_of
from lienthong.federation.models import Peer
from lienthong.federation.schemas import PeerCreate, PeerRead
from lienthong.registry.models import Credential, InformationSystem
from lienthong.registry.systems import get_system

PEER_CLIENT_PREFIX = "ltf_"
# Never the output of registry.systems.hash_secret ("sha256$…"): no secret matches it.
NO_SECRET = "federation$none"  # noqa: S105 - a marker, not a secret
Fetch = Callable[[str], dict[str, Any]]


def fetcher(settings: Settings) -> Fetch:
    """Fetch a JWKS with this deployment's timeout."""
    timeout = settings.federation_fetch_timeout_seconds
    return lambda url: fetch_jwks(url, timeout=timeout)


def to_read(session: Session, peer: Peer) -> PeerRead:
    system = session.get(InformationSystem, peer.system_id)
    assert system is not None
    return PeerRead(
        name=peer.name,
        issuer=peer.issuer,
        jwks_url=peer.jwks_url,
        audience=peer.audience,
        organisation=system.organisation.code,
        system=system.code,
        keys=sorted(keys_of(peer.jwks)),
        jwks_fetched_at=peer.jwks_fetched_at,
        created_at=peer.created_at,
    )


def _audit(
    session: Session, settings: Settings, actor: Mapping[str, Any], action: str, peer: Peer
) -> None:
    entry = event(action, actor=actor, peer=peer.name, issuer=peer.issuer)
    record(session=session, settings=settings, entry=entry)


def add_peer(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    data: PeerCreate,
    fetch: Fetch,
) -> Peer:
    """Register a peer and fetch its JWKS now (502 ``peer-unreachable`` if that fails)."""
    issuer = data.issuer.rstrip("/")
    if issuer == settings.issuer:
        raise BadRequest("a peer cannot be this instance itself", code="peer-is-self")
    taken = session.scalars(
        select(Peer).where((Peer.name == data.name) | (Peer.issuer == issuer))
    ).first()
    if taken is not None:
        field = "name" if taken.name == data.name else "issuer"
        raise Conflict(
            f"a peer with this {field} is already registered",
            code="peer-exists",
            details=[ErrorDetail(field, "peer-exists", f"{field} is taken")],
        )
    system = get_system(session=session, organisation=data.organisation, code=data.system)
    credential = Credential(
        system_id=system.id,
        client_id=PEER_CLIENT_PREFIX + secrets.token_hex(12),
        secret_hash=NO_SECRET,
    )
    session.add(credential)
    session.flush()
    jwks_url = data.jwks_url or f"{issuer}/.well-known/jwks.json"
    peer = Peer(
        name=data.name,
        issuer=issuer,
        jwks_url=jwks_url,
        audience=data.audience or f"{issuer}/api/v1",
        system_id=system.id,
        credential_id=credential.id,
        jwks=dump(fetch(jwks_url)),
        jwks_fetched_at=utcnow(),
        created_at=utcnow(),
    )
    session.add(peer)
    session.flush()
    _audit(session, settings, actor, "federation.peer.add", peer)
    return peer


def list_peers(*, session: Session) -> list[Peer]:
    return list(session.scalars(select(Peer).order_by(Peer.name)))


def get_peer(*, session: Session, name: str) -> Peer:
    peer = session.scalars(select(Peer).where(Peer.name == name)).first()
    if peer is None:
        raise NotFound(f"no peer {name!r}")
    return peer


def remove_peer(
    *, session: Session, settings: Settings, actor: Mapping[str, Any], name: str
) -> None:
    """Forget the peer and revoke its credential: its tokens are refused from now on."""
    peer = get_peer(session=session, name=name)
    credential = session.get(Credential, peer.credential_id)
    if credential is not None and credential.revoked_at is None:
        credential.revoked_at = utcnow()
    _audit(session, settings, actor, "federation.peer.remove", peer)
    session.delete(peer)
    session.flush()


def refresh_peer(
    *, session: Session, settings: Settings, actor: Mapping[str, Any], name: str, fetch: Fetch
) -> Peer:
    """Fetch the peer's JWKS again and keep it (keys it dropped stop verifying)."""
    peer = get_peer(session=session, name=name)
    peer.jwks = dump(fetch(peer.jwks_url))
    peer.jwks_fetched_at = peer.refresh_tried_at = utcnow()
    session.flush()
    _audit(session, settings, actor, "federation.peer.refresh", peer)
    return peer
