"""Production refuses unsafe settings before creating anything: one line on stderr, no
traceback, exit status 78; guessable secrets (24 × ``a``, a subject key ``x``) are unsafe."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong.config import Settings
from lienthong.entropy import MIN_SECRET_BITS, estimated_bits
from lienthong.errors import ConfigurationError
from lienthong.keys import new_token_key
from lienthong.preflight import STARTUP_REFUSED, refuse_unsafe
from lienthong.web.app import create_app

STRONG = secrets.token_urlsafe(32)


def _serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    base |= {"LIENTHONG_ENVIRONMENT": "production", "LIENTHONG_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "lienthong.cli", "serve", "--port", "1"],
        env=base | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "code"),
    [
        ({}, "unsafe-operator-token"),
        ({"LIENTHONG_OPERATOR_TOKEN": "a" * 24}, "unsafe-operator-token"),
        ({"LIENTHONG_OPERATOR_TOKEN": "changeme"}, "unsafe-operator-token"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG, "LIENTHONG_AUDIT_SUBJECT_KEY": "x"},
         "unsafe-audit-subject-key"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG, "LIENTHONG_AUDIT_SUBJECT_KEY": "b" * 64},
         "unsafe-audit-subject-key"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG, "LIENTHONG_AUDIT_SUBJECT_KEY": STRONG},
         "missing-secret"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG, "LIENTHONG_AUDIT_SUBJECT_KEY": STRONG,
          "LIENTHONG_CURSOR_KEY": "c" * 40}, "unsafe-cursor-key"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG, "LIENTHONG_AUDIT_SUBJECT_KEY": STRONG,
          "LIENTHONG_CURSOR_KEY": STRONG, "LIENTHONG_MASTER_ID_KEY": "m" * 40},
         "unsafe-master-id-key"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG, "LIENTHONG_AUDIT_SUBJECT_KEY": STRONG,
          "LIENTHONG_CURSOR_KEY": STRONG}, "missing-signing-key"),
        ({"LIENTHONG_OPERATOR_TOKEN": STRONG}, "missing-secret"),
        ({"LIENTHONG_TOKEN_TTL_SECONDS": "86400"}, "invalid-token-ttl"),
        ({"LIENTHONG_PORT": "eighty"}, "invalid-setting"),
    ],
)  # fmt: skip
def test_production_refuses_unsafe_settings_in_one_line_creating_nothing(
    tmp_path: Path, env: dict[str, str], code: str
) -> None:
    done = _serve(tmp_path, **env)
    assert done.returncode == STARTUP_REFUSED, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"lienthong: refusing to start ({code}): ")
    assert not (tmp_path / "data").exists(), "nothing may be created before the refusal"
    assert list(tmp_path.iterdir()) == []


def test_guessable_secrets_score_low_and_random_ones_high() -> None:
    for weak in ("a" * 24, "x", "ab" * 40, "password1234567890", ""):
        assert estimated_bits(weak) < MIN_SECRET_BITS, weak
    for strong in (secrets.token_urlsafe(32), secrets.token_hex(32), STRONG):
        assert estimated_bits(strong) >= MIN_SECRET_BITS, strong


def test_the_application_factory_refuses_too(tmp_path: Path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path / "d", operator_token="a" * 40)
    with pytest.raises(ConfigurationError) as refused:
        create_app(settings)
    assert refused.value.code == "unsafe-operator-token"
    long_lived = Settings(environment="test", data_dir=tmp_path / "d", token_ttl_seconds=7200)
    with pytest.raises(ConfigurationError, match="TTL"):
        refuse_unsafe(long_lived)
    assert not (tmp_path / "d").exists()


def test_production_refuses_a_chosen_algorithm_without_its_key(tmp_path: Path) -> None:
    """An Ed25519 deployment that chooses ES256 must rotate first (security.md, upgrading)."""
    settings = Settings(
        environment="production",
        data_dir=tmp_path,
        operator_token=STRONG,
        audit_subject_key=STRONG,
        cursor_key=STRONG,
        token_algorithm="ES256",
    )
    new_token_key(settings, "EdDSA")
    with pytest.raises(ConfigurationError) as refused:
        refuse_unsafe(settings)
    assert refused.value.code == "missing-signing-key" and "ES256" in refused.value.message
    new_token_key(settings)  # what `lienthong security rotate-key` does
    with pytest.raises(ConfigurationError) as next_check:
        refuse_unsafe(settings)
    assert next_check.value.code == "missing-signing-key"  # now the audit key, not the token's
    assert "audit signing key" in next_check.value.message
