"""The ID token check against real ID tokens: issued by the test OpenID provider to another
client of the same provider (a stock Authlib client drives that sign-in), then shown to our
check, which must refuse it for the audience, and for a wrong nonce, issuer or key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc.jwk import KeySet

from lienthong.signin.errors import SignInRefused
from lienthong.signin.idtoken import verify_id_token
from tests.signin.harness import (
    CITIZEN,
    CLIENT_ID,
    OTHER_CLIENT,
    OTHER_REDIRECT,
    Browser,
    Provider,
    needs_provider,
    provider,
)

pytestmark = needs_provider
NONCE = "nonce-of-the-other-portal"


def _other_portals_token(idp: Provider) -> dict[str, Any]:
    """An ID token (and access token) that the provider issued to the other client."""
    verifier = generate_token(48)
    with OAuth2Session(
        OTHER_CLIENT,
        "other-portal-secret-0123456789abcdef",
        scope="openid profile",
        redirect_uri=OTHER_REDIRECT,
        code_challenge_method="S256",
    ) as client:
        url, _state = client.create_authorization_url(
            f"{idp.issuer}/auth", nonce=NONCE, code_verifier=verifier
        )
        browser = Browser("http://127.0.0.1:9")
        try:
            back = browser.at_provider(url, CITIZEN, OTHER_REDIRECT)
        finally:
            browser.close()
        code = parse_qs(urlsplit(back).query)["code"][0]
        token = client.fetch_token(
            f"{idp.issuer}/token",
            grant_type="authorization_code",
            code=code,
            code_verifier=verifier,
        )
    return dict(token)


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with provider(tmp_path_factory.mktemp("idp"), "http://127.0.0.1:9") as running:
        yield running


@pytest.fixture(scope="module")
def issued(idp: Provider) -> dict[str, Any]:
    return _other_portals_token(idp)


@pytest.fixture(scope="module")
def keys(idp: Provider) -> KeySet:
    return KeySet.import_key_set(httpx.get(f"{idp.issuer}/jwks").json())


def _verify(issued: dict[str, Any], key_set: KeySet, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "keys": lambda _refresh: key_set,
        "algorithms": ["ES256"],
        "issuer": "",
        "client_id": OTHER_CLIENT,
        "nonce": NONCE,
        "access_token": issued["access_token"],
    }
    return verify_id_token(issued["id_token"], **(arguments | overrides))


def test_the_token_passes_for_the_client_it_was_issued_to(
    idp: Provider, issued: dict[str, Any], keys: KeySet
) -> None:
    claims = _verify(issued, keys, issuer=idp.issuer)
    assert claims["sub"] == CITIZEN and claims["aud"] == OTHER_CLIENT and claims["nonce"] == NONCE


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"client_id": CLIENT_ID}, "wrong-audience"),
        ({"nonce": "another-nonce"}, "bad-nonce"),
        ({"issuer": "https://sso.example.gov.vn"}, "wrong-issuer"),
        ({"algorithms": ["RS256"]}, "malformed"),  # an algorithm we do not accept from it
    ],
)
def test_the_token_is_refused_where_it_does_not_fit(
    idp: Provider,
    issued: dict[str, Any],
    keys: KeySet,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    with pytest.raises(SignInRefused) as refused:
        _verify(issued, keys, **({"issuer": idp.issuer} | overrides))
    assert refused.value.reason == reason and refused.value.code == "signin-refused"


def test_a_token_signed_by_another_key_is_refused_after_the_keys_are_fetched_again(
    idp: Provider, issued: dict[str, Any], tmp_path: Path
) -> None:
    with provider(tmp_path, "http://127.0.0.1:9") as other:  # its own, different key
        foreign = KeySet.import_key_set(httpx.get(f"{other.issuer}/jwks").json())
    asked: list[bool] = []

    def keys(refresh: bool) -> KeySet:
        asked.append(refresh)
        return foreign

    with pytest.raises(SignInRefused) as refused:
        _verify(issued, foreign, issuer=idp.issuer, keys=keys)
    assert refused.value.reason == "unknown-key" and asked == [False, True]


def test_a_tampered_token_is_refused(idp: Provider, issued: dict[str, Any], keys: KeySet) -> None:
    header, payload, signature = issued["id_token"].split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    tampered = issued | {"id_token": f"{header}.{payload}.{flipped}"}
    with pytest.raises(SignInRefused) as refused:
        _verify(tampered, keys, issuer=idp.issuer)
    assert refused.value.reason == "bad-signature"
