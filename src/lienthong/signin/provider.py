"""The identity provider, as OpenID Connect describes it: discovery, keys, the authorization
redirect, the code exchange and userinfo (Authlib's OAuth 2 client for the protocol).

One :class:`Provider` per application. Its discovery document is kept for an hour and its
keys until an ID token names a key id they lack: then the keys are fetched again (the provider
rotated them), at most once per ``REFRESH_SECONDS`` so that forged key ids cannot make us
hammer the provider. Anything the provider answers that is not what the protocol promises (no
connection, a 5xx, HTML, a document for another issuer) is :class:`ProviderUnavailable`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lienthong.config import Settings
from lienthong.signin.errors import ProviderUnavailable, SignInOff, SignInRefused

DISCOVERY_SECONDS = 3600.0
REFRESH_SECONDS = 10.0
# Asymmetric algorithms only: an ID token signed with the client secret (HS256) or unsigned
# is refused, whatever the provider advertises.
ALGORITHMS = ("RS256", "PS256", "ES256", "RS384", "PS384", "ES384", "RS512", "PS512", "EdDSA")


@dataclass(frozen=True)
class ClientSettings:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_url: str
    scopes: str
    timeout: float

    @classmethod
    def of(cls, settings: Settings) -> ClientSettings | None:
        """The sign-in client, or None when sign-in is off (no issuer)."""
        if not settings.signin_issuer:
            return None
        secret = settings.signin_client_secret
        return cls(
            issuer=settings.signin_issuer,
            client_id=settings.signin_client_id or "",
            client_secret=secret.get_secret_value() if secret else None,
            redirect_url=settings.signin_redirect_url or "",
            scopes=settings.signin_scopes,
            timeout=settings.signin_timeout_seconds,
        )


class Provider:
    """The configured identity provider (thread-safe; request threads share it)."""

    def __init__(self, client: ClientSettings | None) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._refreshed_at = -REFRESH_SECONDS
        self.key_fetches = 0  # how many times the keys were fetched (operations read it)

    @property
    def on(self) -> ClientSettings:
        if self.client is None:
            raise SignInOff()
        return self.client

    def _session(self, **kwargs: Any) -> OAuth2Session:
        client = self.on
        return OAuth2Session(
            client_id=client.client_id,
            client_secret=client.client_secret,
            token_endpoint_auth_method=("client_secret_basic" if client.client_secret else "none"),
            scope=client.scopes,
            redirect_uri=client.redirect_url,
            code_challenge_method="S256",
            **kwargs,
        )

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            response = requests.get(
                url, timeout=self.on.timeout, headers={"Accept": "application/json"}
            )
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"{what}: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"{what}: not a JSON object")
        return body

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (OpenID Connect Discovery 1.0), checked: it names
        the configured issuer and the endpoints sign-in needs."""
        with self._lock:
            fresh = time.monotonic() - self._metadata_at < DISCOVERY_SECONDS
            if self._metadata is not None and fresh:
                return self._metadata
        issuer = self.on.issuer
        found = self._get_json(
            f"{issuer.rstrip('/')}/.well-known/openid-configuration", "discovery"
        )
        if found.get("issuer") != issuer:  # identical, as OpenID Connect Discovery requires
            raise ProviderUnavailable(
                f"discovery names issuer {found.get('issuer')!r}, not {issuer!r}",
                reason="wrong-issuer",
            )
        missing = [
            name
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
            if not isinstance(found.get(name), str)
        ]
        if missing:
            raise ProviderUnavailable(f"discovery lacks {', '.join(missing)}")
        with self._lock:
            self._metadata, self._metadata_at = found, time.monotonic()
        return found

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The provider's public keys; ``refresh`` fetches them again (an unknown key id), at
        most once per ``REFRESH_SECONDS``."""
        with self._lock:
            cached = self._keys
            recently = time.monotonic() - self._refreshed_at < REFRESH_SECONDS
        if cached is not None and (not refresh or recently):
            return cached
        document = self._get_json(self.metadata()["jwks_uri"], "keys")
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ProviderUnavailable(f"keys: {type(exc).__name__}") from exc
        with self._lock:
            self._keys = keys
            self.key_fetches += 1
            if refresh:
                self._refreshed_at = time.monotonic()
        return keys

    def algorithms(self) -> list[str]:
        advertised = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return [alg for alg in ALGORITHMS if alg in advertised]

    def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where the browser goes to sign in: code flow, PKCE S256, our state and nonce."""
        endpoint = self.metadata()["authorization_endpoint"]
        with self._session() as session:
            url, _ = session.create_authorization_url(
                endpoint, state=state, nonce=nonce, code_verifier=code_verifier
            )
        return str(url)

    def exchange(self, *, code: str, code_verifier: str) -> dict[str, Any]:
        """The code for tokens at the token endpoint (client authenticated, PKCE verifier)."""
        endpoint = self.metadata()["token_endpoint"]
        try:
            with self._session() as session:
                token = session.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                    timeout=self.on.timeout,
                )
        except OAuthError as exc:  # the provider refused the code (invalid_grant, …)
            raise SignInRefused(f"token endpoint: {exc.error}", reason="code-refused") from exc
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from exc
        if not isinstance(token.get("id_token"), str):
            raise ProviderUnavailable("token endpoint: no ID token")
        return dict(token)

    def userinfo(self, *, access_token: str) -> dict[str, Any]:
        """The userinfo claims, when the provider has the endpoint ({} otherwise)."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            return {}
        try:
            response = requests.get(
                endpoint,
                timeout=self.on.timeout,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"userinfo: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise ProviderUnavailable("userinfo: not a JSON object")
        return body

    def logout_url(self, *, post_logout_url: str | None) -> str | None:
        """RP-initiated logout at the provider's ``end_session_endpoint``, when it has one."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except ProviderUnavailable:
            return None  # our session is over all the same
        if not isinstance(endpoint, str):
            return None
        request = requests.Request(
            "GET",
            endpoint,
            params={"client_id": self.on.client_id}
            | ({"post_logout_redirect_uri": post_logout_url} if post_logout_url else {}),
        ).prepare()
        return str(request.url)
