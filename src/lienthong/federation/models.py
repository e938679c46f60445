"""Peer instances and their cached public keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class Peer(Base):
    """Another Lienthong instance whose access tokens are accepted here.

    A token it issued (``iss`` = ``issuer``) is verified with its JWKS, cached in ``jwks``
    (fetched at ``jwks_fetched_at``; ``refresh_tried_at`` rate-limits refetches on an unknown
    key id). Its callers act here as the local system ``system_id``, through the credential
    ``credential_id`` made for the peer: it has no usable secret, and it is revoked when the
    peer is removed, so the liveness check of every request refuses the peer's tokens at once.
    ``audience`` is the peer's resource audience, which our tokens for it carry.
    """

    __tablename__ = "federation_peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(500), unique=True)
    jwks_url: Mapped[str] = mapped_column(String(1000))
    audience: Mapped[str] = mapped_column(String(500))
    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id"))
    jwks: Mapped[str | None] = mapped_column(Text)
    jwks_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
