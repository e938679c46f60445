"""Peer instances as the API and the CLI see them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from lienthong.exchange.schemas import CODE_PATTERN, Strict

# http(s) and no whitespace or control character (PostgreSQL refuses a NUL byte in text).
URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f]+$"


class PeerCreate(Strict):
    name: str = Field(
        min_length=1, max_length=64, pattern=CODE_PATTERN, description="Short name, e.g. ndxp"
    )
    issuer: str = Field(
        max_length=500,
        pattern=URL_PATTERN,
        description="The peer's public URL: the iss of the tokens it issues",
    )
    jwks_url: str | None = Field(
        None,
        max_length=1000,
        pattern=URL_PATTERN,
        description="Where its public keys are (default: ISSUER/.well-known/jwks.json)",
    )
    audience: str | None = Field(
        None,
        max_length=500,
        pattern=URL_PATTERN,
        description="Its resource audience, put in our tokens for it (default: ISSUER/api/v1)",
    )
    organisation: str = Field(
        max_length=35,
        pattern=CODE_PATTERN,
        description="Registry organisation of the system that stands for the peer here",
    )
    system: str = Field(
        max_length=64,
        pattern=CODE_PATTERN,
        description="That system's code: the peer's callers act here as this system",
    )


class PeerRead(BaseModel):
    name: str
    issuer: str
    jwks_url: str
    audience: str
    organisation: str
    system: str
    keys: list[str] = Field(description="Key ids of the cached JWKS")
    jwks_fetched_at: datetime | None
    created_at: datetime
