"""Who a system's access token says is calling (security.tokens issues and verifies tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Foreign:
    """Who a peer instance's token names (federation): the peer, its issuer, and the token's
    own ``sub`` and ``client_id`` there, kept in the audit entry beside the local system."""

    peer: str
    issuer: str
    subject: str
    client_id: str


@dataclass(frozen=True)
class Claims:
    system_id: int
    credential_id: int
    organisation: str
    system: str
    client_id: str
    jti: str
    exp: int
    # SHA-256 thumbprint (base64url) of the client certificate the token is bound to (RFC 8705).
    certificate: str | None = None
    # Set when a peer instance issued the token: the caller is the peer's local system.
    foreign: Foreign | None = None

    def actor(self) -> dict[str, Any]:
        actor: dict[str, Any] = {
            "kind": "system",
            "organisation": self.organisation,
            "system": self.system,
            "client_id": self.client_id,
        }
        if self.foreign is not None:
            actor["peer"] = {
                "name": self.foreign.peer,
                "issuer": self.foreign.issuer,
                "sub": self.foreign.subject,
                "client_id": self.foreign.client_id,
            }
        return actor
