"""Sign-in settings that cannot work stop the start, before anything is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.config import Settings
from lienthong.errors import ConfigurationError
from lienthong.preflight import refuse_unsafe_signin

CALLBACK = "https://lienthong.example.gov.vn/signin/callback"


def _settings(tmp_path: Path, environment: str = "test", **signin: str) -> Settings:
    return Settings(environment=environment, data_dir=tmp_path, **signin)  # type: ignore[arg-type]


def test_an_issuer_without_client_or_callback_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as refused:
        refuse_unsafe_signin(_settings(tmp_path, signin_issuer="https://sso.example.gov.vn"))
    assert refused.value.code == "incomplete-signin"
    assert "LIENTHONG_SIGNIN_CLIENT_ID and LIENTHONG_SIGNIN_REDIRECT_URL" in refused.value.message


def test_production_needs_https_for_the_provider_and_the_callback(tmp_path: Path) -> None:
    plain = {"signin_issuer": "http://sso.example.gov.vn", "signin_client_id": "lienthong"}
    refuse_unsafe_signin(_settings(tmp_path, signin_redirect_url=CALLBACK, **plain))  # test: ok
    with pytest.raises(ConfigurationError) as refused:
        refuse_unsafe_signin(
            _settings(tmp_path, "production", signin_redirect_url=CALLBACK, **plain)
        )
    assert refused.value.code == "insecure-signin"
    assert "LIENTHONG_SIGNIN_ISSUER must" in refused.value.message
    secure = plain | {"signin_issuer": "https://sso.example.gov.vn"}
    refuse_unsafe_signin(_settings(tmp_path, "production", signin_redirect_url=CALLBACK, **secure))
    refuse_unsafe_signin(_settings(tmp_path, "production"))  # off: nothing to check
