"""People's sign-in: the login redirect, the callback that makes a session, the session lookup
other code uses (:func:`signed_in`) and logout.

The network (the identity provider) is never called inside a database transaction: the
callback consumes its sign-in attempt in one short transaction, talks to the provider, then
creates the session and its audit entry in another. Refusals are audited apart (the caller's
``audit_apart``), since the request's own work is not kept when it fails.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import LienthongError
from lienthong.events import event
from lienthong.people.service import person_for_sign_in
from lienthong.signin.errors import SignInRefused
from lienthong.signin.idtoken import verify_id_token
from lienthong.signin.models import SignInAttempt, SignInSession
from lienthong.signin.provider import Provider

ATTEMPT_SECONDS = 600  # a person has ten minutes at the provider
# Claims that only serve the protocol: not kept with the identity.
PROTOCOL_CLAIMS = frozenset({"nonce", "at_hash", "c_hash", "s_hash", "sid", "jti"})

AuditApart = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class SignedIn:
    """Who a session belongs to, as the identity provider said at sign-in."""

    issuer: str
    subject: str
    name: str | None
    personal_id: str | None
    claims: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class Started:
    url: str  # the provider's authorization endpoint with our request
    state: str  # bound to the browser (a cookie) until the callback


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def csrf_token(session_cookie_value: str) -> str:
    """The session's anti-forgery token: derived from the session id, so nothing more is kept
    and it dies with the session; one-way, so the page may read it without learning the id.
    A page of another site can neither read it nor send it in a header."""
    return hashlib.sha256(b"lienthong-csrf\x1f" + session_cookie_value.encode()).hexdigest()


def csrf_matches(session_cookie_value: str, sent: str | None) -> bool:
    """Whether ``sent`` (the request's anti-forgery header) is this session's token."""
    return hmac.compare_digest((sent or "").encode(), csrf_token(session_cookie_value).encode())


def start_login(*, sessions: sessionmaker[Session], provider: Provider) -> Started:
    """A new sign-in: state, nonce and PKCE verifier, the redirect to the provider."""
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)  # 64 characters: RFC 7636 asks 43 to 128
    url = provider.authorization_url(state=state, nonce=nonce, code_verifier=verifier)
    now = utcnow()
    with sessions.begin() as session:
        session.execute(delete(SignInAttempt).where(SignInAttempt.expires_at < now))
        session.add(
            SignInAttempt(
                state_hash=_digest(state),
                nonce=nonce,
                code_verifier=verifier,
                expires_at=now + timedelta(seconds=ATTEMPT_SECONDS),
            )
        )
    return Started(url=url, state=state)


@dataclass(frozen=True)
class Callback:
    """What the provider sent the browser back with, and the state cookie the browser holds."""

    state: str | None
    browser_state: str | None
    code: str | None
    error: str | None
    iss: str | None
    ip: str


def finish_login(
    *,
    sessions: sessionmaker[Session],
    provider: Provider,
    settings: Settings,
    callback: Callback,
    audit_apart: AuditApart,
) -> tuple[str, SignedIn]:
    """The callback: check the answer, exchange the code, verify the ID token, open a session.
    Returns the session id for the cookie (shown once, stored hashed) and who signed in."""
    subject: list[str] = []  # known once the ID token is verified
    try:
        identity = _identity(sessions, provider, settings, callback, subject)
        secret = open_session(sessions, settings, identity, callback.ip)
    except LienthongError as error:  # a refusal, or the person registry's (admit) refusal
        audit_apart(
            event(
                "signin.refused",
                actor={"kind": "anonymous"},
                outcome=error.code,
                reason=getattr(error, "reason", error.code),
                issuer=provider.client.issuer if provider.client else None,
                subject=subject[0] if subject else None,
                ip=callback.ip,
            )
        )
        raise
    return secret, identity


def open_session(
    sessions: sessionmaker[Session], settings: Settings, identity: SignedIn, ip: str
) -> str:
    """The session row, the person behind it (:func:`admit`) and the audit entry, in one
    transaction; the session id for the cookie."""
    secret = secrets.token_urlsafe(32)
    with sessions.begin() as session:
        row = SignInSession(
            token_hash=_digest(secret),
            issuer=identity.issuer,
            subject=identity.subject,
            name=identity.name or identity.subject,
            personal_id=identity.personal_id,
            claims=identity.claims,
            expires_at=identity.expires_at,
        )
        session.add(row)
        session.flush()
        admit(session, identity)
        record(
            session=session,
            settings=settings,
            entry=event(
                "signin.signed-in",
                actor=_actor(identity),
                detail={"session": row.id, "expires_at": identity.expires_at.isoformat()},
                ip=ip,
            ),
        )
    return secret


def admit(session: Session, identity: SignedIn) -> None:
    """The one place where an identity from the provider meets the platform's people: a
    person registry resolves ``identity`` (issuer, subject, name, personal ID) to its person
    here, in the transaction that opens the session, and may refuse it: the person is created
    on a first sign-in (holding no role) and their name and personal ID follow the provider's."""
    person_for_sign_in(
        session,
        issuer=identity.issuer,
        subject=identity.subject,
        name=identity.name or identity.subject,
        personal_id=identity.personal_id,
    )


def _actor(identity: SignedIn) -> dict[str, str]:
    return {"kind": "person", "issuer": identity.issuer, "subject": identity.subject}


def _take_attempt(sessions: sessionmaker[Session], state: str) -> SignInAttempt | None:
    """The attempt for ``state``, removed (used once), or None (unknown or expired)."""
    with sessions.begin() as session:
        attempt = session.get(SignInAttempt, _digest(state))
        if attempt is None:
            return None
        session.delete(attempt)
    return attempt if attempt.expires_at > utcnow() else None


def _identity(
    sessions: sessionmaker[Session],
    provider: Provider,
    settings: Settings,
    callback: Callback,
    subject: list[str],
) -> SignedIn:
    state = callback.state or ""
    browser = callback.browser_state or ""
    if not state or not hmac.compare_digest(state.encode(), browser.encode()):
        raise SignInRefused("the state does not match this browser's sign-in", reason="state")
    attempt = _take_attempt(sessions, state)
    if attempt is None:
        raise SignInRefused("unknown or expired sign-in attempt", reason="state")
    if callback.error:
        raise SignInRefused(f"the provider answered {callback.error}", reason="provider-error")
    metadata = provider.metadata()
    issuer = str(metadata["issuer"])
    if callback.iss is not None and callback.iss != issuer:  # RFC 9207: a mixed-up provider
        raise SignInRefused("the answer names another issuer", reason="wrong-issuer")
    if not callback.code:
        raise SignInRefused("no authorization code", reason="no-code")
    token = provider.exchange(code=callback.code, code_verifier=attempt.code_verifier)
    access_token = token.get("access_token")
    claims = verify_id_token(
        token["id_token"],
        keys=lambda refresh: provider.key_set(refresh=refresh),
        algorithms=provider.algorithms(),
        issuer=issuer,
        client_id=provider.on.client_id,
        nonce=attempt.nonce,
        access_token=access_token if isinstance(access_token, str) else None,
    )
    subject.append(str(claims["sub"]))
    wanted = settings.signin_personal_id_claim
    if isinstance(access_token, str) and (wanted not in claims or "name" not in claims):
        info = provider.userinfo(access_token=access_token)
        if info and info.get("sub") != claims["sub"]:
            raise SignInRefused("userinfo is about another subject", reason="userinfo-subject")
        claims = info | claims  # the signed ID token wins where both say something
    kept = {k: v for k, v in claims.items() if k not in PROTOCOL_CLAIMS}
    personal_id, name = kept.get(wanted), kept.get("name")
    return SignedIn(
        issuer=issuer,
        subject=str(claims["sub"]),
        name=name if isinstance(name, str) else None,
        personal_id=str(personal_id) if isinstance(personal_id, str | int) else None,
        claims=kept,
        expires_at=utcnow() + timedelta(seconds=settings.signin_session_seconds),
    )


def signed_in(session: Session, session_cookie_value: str | None) -> SignedIn | None:
    """Who holds this session cookie: None when it names no session, an expired one or one
    signed out."""
    if not session_cookie_value:
        return None
    row = session.scalars(
        select(SignInSession).where(
            SignInSession.token_hash == _digest(session_cookie_value),
            SignInSession.revoked_at.is_(None),
            SignInSession.expires_at > utcnow(),
        )
    ).one_or_none()
    if row is None:
        return None
    return SignedIn(
        issuer=row.issuer,
        subject=row.subject,
        name=row.name,
        personal_id=row.personal_id,
        claims=dict(row.claims),
        expires_at=row.expires_at,
    )


def sign_out(
    *, session: Session, settings: Settings, session_cookie_value: str | None, ip: str
) -> SignedIn | None:
    """End the session of this cookie (audited); None when there was none to end."""
    identity = signed_in(session, session_cookie_value)
    if identity is None or session_cookie_value is None:
        return None
    row = session.scalars(
        select(SignInSession).where(SignInSession.token_hash == _digest(session_cookie_value))
    ).one()
    row.revoked_at = utcnow()
    session.flush()
    record(
        session=session,
        settings=settings,
        entry=event("signin.signed-out", actor=_actor(identity), detail={"session": row.id}, ip=ip),
    )
    return identity
