"""Who a system's access token says is calling (security.tokens issues and verifies tokens)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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

    def actor(self) -> dict[str, Any]:
        return {
            "kind": "system",
            "organisation": self.organisation,
            "system": self.system,
            "client_id": self.client_id,
        }
