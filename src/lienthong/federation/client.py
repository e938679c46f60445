"""Reading at a peer instance: a token for the peer, the call, and its audit entry here.

The token is, by default, issued by this instance (``iss`` ours, ``aud`` the peer's audience)
to the local system ``LIENTHONG_FEDERATION_SYSTEM``: the peer verifies it with our JWKS and
treats the caller as the system that stands for us there. A peer named in
``LIENTHONG_FEDERATION_CREDENTIALS_FILE`` is instead asked for a token at its own
``/oauth/token`` with the client credentials it issued to us (for a peer that does not
register us as its peer). Secrets and tokens are never logged nor audited.

The three steps are separate so that no transaction stays open while the peer answers: the
face takes the token in one transaction, calls, then records the call in another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.audit.service import audit_keys, hashes, record
from lienthong.config import Settings
from lienthong.errors import BadRequest, ConfigurationError
from lienthong.events import event
from lienthong.federation.jwks import PeerUnreachable
from lienthong.federation.models import Peer
from lienthong.federation.service import PEER_CLIENT_PREFIX
from lienthong.keys import KeyRing
from lienthong.registry.models import Credential
from lienthong.registry.systems import get_system
from lienthong.security.tokens import issue_token

# A path of the peer's API; nothing that could leave its host (no scheme, no "//", no "..").
PATH = re.compile(r"^/api/v1/[A-Za-z0-9._~%/?&=+-]*$")
DATA_PATH = re.compile(r"^/api/v1/data/([A-Za-z0-9._-]+)")


@dataclass(frozen=True)
class PeerToken:
    value: str
    kind: str  # "federated": issued here; "peer-credentials": issued by the peer
    client_id: str


@dataclass(frozen=True)
class PeerAnswer:
    status: int
    body: Any


def _credentials(settings: Settings, peer: str) -> tuple[str, str] | None:
    path = settings.federation_credentials_file
    if path is None or not path.exists():
        return None
    found = json.loads(path.read_text()).get(peer)
    if not isinstance(found, dict):
        return None
    return str(found["client_id"]), str(found["client_secret"])


def _calling_credential(session: Session, settings: Settings, system: str | None) -> Credential:
    named = system or settings.federation_system
    if not named or "/" not in named:
        raise ConfigurationError(
            "no local system calls peers: set LIENTHONG_FEDERATION_SYSTEM=ORGANISATION/SYSTEM",
            code="federation-system-unset",
        )
    organisation, _, code = named.partition("/")
    found = get_system(session=session, organisation=organisation, code=code)
    credential = session.scalars(
        select(Credential)
        .where(Credential.system_id == found.id)
        .where(Credential.revoked_at.is_(None))
        .where(Credential.client_id.not_like(f"{PEER_CLIENT_PREFIX}%"))
        .order_by(Credential.id.desc())
    ).first()
    if credential is None:
        raise ConfigurationError(
            f"the system {named} has no live credential to call peers with",
            code="federation-system-unset",
        )
    return credential


def peer_token(
    *,
    session: Session,
    settings: Settings,
    ring: KeyRing,
    peer: Peer,
    system: str | None = None,
) -> PeerToken:
    """A token the peer accepts: from its /oauth/token with the credentials it gave us, if we
    hold some, else issued here for the peer's audience."""
    given = _credentials(settings, peer.name)
    if given is not None:
        return _token_at_peer(settings, peer, *given)
    credential = _calling_credential(session, settings, system)
    value, claims = issue_token(
        session=session,
        ring=ring,
        credential=credential,
        ttl=settings.token_ttl_seconds,
        issuer=settings.issuer,
        audience=peer.audience,
        scope="api",
    )
    return PeerToken(value, "federated", claims.client_id)


def _token_at_peer(settings: Settings, peer: Peer, client_id: str, secret: str) -> PeerToken:
    try:
        response = httpx.post(
            f"{peer.issuer}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=settings.federation_fetch_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        raise PeerUnreachable(f"the peer's token endpoint failed: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise PeerUnreachable(f"the peer refused our client credentials ({response.status_code})")
    return PeerToken(str(response.json()["access_token"]), "peer-credentials", client_id)


def call_peer(
    *, settings: Settings, base: str, token: PeerToken, path: str, purpose: str
) -> PeerAnswer:
    """GET ``path`` (``/api/v1/…``) at the peer whose public URL is ``base``, declaring
    ``purpose``."""
    if not PATH.match(path) or ".." in path or "//" in path:
        raise BadRequest(
            "the path must be one of the peer's /api/v1/ paths", code="peer-path-invalid"
        )
    try:
        response = httpx.get(
            f"{base}{path}",
            headers={"Authorization": f"Bearer {token.value}", "X-Purpose": purpose},
            timeout=settings.federation_fetch_timeout_seconds,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise PeerUnreachable(f"the peer could not be called: {type(exc).__name__}") from exc
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return PeerAnswer(response.status_code, body)


def record_call(
    *,
    session: Session,
    settings: Settings,
    actor: Mapping[str, Any],
    peer: str,
    path: str,
    purpose: str,
    token: PeerToken | None,
    status: int | None,
    outcome: str = "ok",
) -> None:
    """The outbound call's entry here: the path hashed (it may name a person), its dataset."""
    dataset = DATA_PATH.match(path)
    entry = event(
        "federation.call",
        actor=actor,
        outcome=outcome,
        peer=peer,
        dataset=dataset.group(1) if dataset else None,
        path_hash=hashes(audit_keys(settings), [path])[0],
        purpose=purpose,
        token=token.kind if token else None,
        client_id=token.client_id if token else None,
        status=status,
    )
    record(session=session, settings=settings, entry=entry)
