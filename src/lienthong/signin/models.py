"""Sign-in tables: people's sessions, and the sign-ins under way (one per login redirect)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lienthong.db import Base, UTCDateTime, utcnow


class SignInSession(Base):
    """A person signed in through the identity provider. The browser holds a random session id
    in a cookie; only its SHA-256 is stored, so a copy of this table opens no session."""

    __tablename__ = "signin_sessions"
    __table_args__ = (Index("ix_signin_sessions_subject", "issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    personal_id: Mapped[str | None] = mapped_column(String(32))
    # The identity claims (ID token and userinfo), without nonce, hashes or any token.
    claims: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInAttempt(Base):
    """A login sent to the identity provider and not yet back: what the callback must match
    (its ``state``, by hash), the nonce the ID token must carry and the PKCE verifier. Used
    once; a short life."""

    __tablename__ = "signin_attempts"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
