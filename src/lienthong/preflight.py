"""What the platform checks before it creates anything: unsafe settings refuse the start.

``lienthong serve`` (and ``create_app``) call ``refuse_unsafe`` first, so a refused start leaves
no database file, key or data folder behind; the CLI prints one line and exits with
``STARTUP_REFUSED`` (docs/cli.md). In production: a strong operator token and audit subject
key, provisioned token and audit signing keys; everywhere: a capped token lifetime.
"""

from __future__ import annotations

from pydantic import SecretStr

from lienthong.config import PLACEHOLDER_TOKENS, Environment, Settings
from lienthong.entropy import HOW_TO_MAKE_ONE, MIN_SECRET_BITS, strong_enough
from lienthong.errors import ConfigurationError
from lienthong.keys import algorithm_of, load_signing_key, tokens_dir

STARTUP_REFUSED = 78  # EX_CONFIG (sysexits.h): a configuration error
MAX_TOKEN_TTL_SECONDS = 3600
# Secret settings checked in production: (setting, its key file under DATA_DIR/keys, required to
# start). The master-id key is needed only by linking, which refuses to run without it.
SECRETS = (
    ("audit_subject_key", "audit-subject.key", True),
    ("cursor_key", "cursor.key", True),
    ("master_id_key", "master-id.key", False),
)


def operator_token_is_safe(token: str) -> bool:
    return token.strip().lower() not in PLACEHOLDER_TOKENS and strong_enough(token)


def refuse_unsafe_signin(settings: Settings) -> None:
    """People's sign-in, when on, names its client and callback; in production the provider
    and the callback are HTTPS (the session cookie is Secure, and codes travel in the URL)."""
    if not settings.signin_issuer:
        return
    missing = [
        f"LIENTHONG_SIGNIN_{name.upper()}"
        for name in ("client_id", "redirect_url")
        if not getattr(settings, f"signin_{name}")
    ]
    if missing:
        raise ConfigurationError(
            f"LIENTHONG_SIGNIN_ISSUER is set but {' and '.join(missing)} not",
            code="incomplete-signin",
        )
    plain = [
        name
        for name, url in (
            ("LIENTHONG_SIGNIN_ISSUER", settings.signin_issuer),
            ("LIENTHONG_SIGNIN_REDIRECT_URL", settings.signin_redirect_url or ""),
        )
        if not url.startswith("https://")
    ]
    if plain and settings.environment is Environment.production:
        raise ConfigurationError(
            f"{' and '.join(plain)} must be https:// URLs in production", code="insecure-signin"
        )


def refuse_unsafe(settings: Settings) -> None:
    """Raise ConfigurationError (with a specific code) for the first unsafe setting."""
    if not 1 <= settings.token_ttl_seconds <= MAX_TOKEN_TTL_SECONDS:
        raise ConfigurationError(
            f"LIENTHONG_TOKEN_TTL_SECONDS must be between 1 and {MAX_TOKEN_TTL_SECONDS}",
            code="invalid-token-ttl",
        )
    refuse_unsafe_signin(settings)
    if settings.dev_signin and settings.environment is not Environment.development:
        raise ConfigurationError(
            "LIENTHONG_DEV_SIGNIN is only for LIENTHONG_ENVIRONMENT=development",
            code="unsafe-dev-signin",
        )
    if settings.environment is not Environment.production:
        return
    token = settings.operator_token.get_secret_value() if settings.operator_token else ""
    if not operator_token_is_safe(token):
        raise ConfigurationError(
            "LIENTHONG_OPERATOR_TOKEN is missing, a placeholder or guessable (under "
            f"{MIN_SECRET_BITS} bits); set a random value, e.g. `{HOW_TO_MAKE_ONE}`",
            code="unsafe-operator-token",
        )
    for setting, file, required in SECRETS:
        value: SecretStr | None = getattr(settings, setting)
        name = f"LIENTHONG_{setting.upper()}"
        if value is not None and not strong_enough(value.get_secret_value()):
            raise ConfigurationError(
                f"{name} is guessable (under {MIN_SECRET_BITS} bits); set a random value, "
                f"e.g. `{HOW_TO_MAKE_ONE}`",
                code=f"unsafe-{setting.replace('_', '-')}",
            )
        if required and value is None and not (settings.data_dir / "keys" / file).is_file():
            raise ConfigurationError(
                f"{name} is not set (nor DATA_DIR/keys/{file})", code="missing-secret"
            )
    folder = tokens_dir(settings)
    private = [p for p in folder.glob("*.pem") if not p.name.endswith(".pub.pem")]
    wanted = settings.token_algorithm
    if wanted is not None and settings.token_signing_kid is None:
        private = [p for p in private if algorithm_of(load_signing_key(p)) == wanted]
    if not folder.is_dir() or not private:
        kind = f"{wanted} " if wanted else ""
        raise ConfigurationError(
            f"no {kind}token signing key in {folder}; run `lienthong security rotate-key` or "
            "set LIENTHONG_TOKEN_KEYS_DIR",
            code="missing-signing-key",
        )
    audit_key = settings.audit_signing_key_file or settings.data_dir / "keys" / "audit-signing.pem"
    if not audit_key.is_file():
        raise ConfigurationError(
            f"audit signing key {audit_key} is missing (LIENTHONG_AUDIT_SIGNING_KEY_FILE)",
            code="missing-signing-key",
        )
