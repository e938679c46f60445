"""What ``GET /signin/me`` answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class SignedInRead(BaseModel):
    """The person of this session, as the identity provider named them at sign-in."""

    issuer: str = Field(description="The identity provider (OpenID Connect issuer URL)")
    subject: str = Field(description="The provider's stable identifier of the person (`sub`)")
    name: str | None = None
    personal_id: str | None = Field(
        None, description="The citizen's personal ID, from the configured claim"
    )
    claims: dict[str, Any] = Field(description="Identity claims from the ID token and userinfo")
    expires_at: datetime = Field(description="When this session ends (UTC)")
