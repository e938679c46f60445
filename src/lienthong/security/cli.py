"""``lienthong security rotate-key``."""

from __future__ import annotations

import typer

from lienthong.config import get_settings
from lienthong.keys import new_token_key, retire_token_key, tokens_dir

security_app = typer.Typer(help="Token signing keys.", no_args_is_help=True)


@security_app.command("rotate-key")
def rotate_key() -> None:
    """Create a new token signing key (of LIENTHONG_TOKEN_ALGORITHM, ES256 when unset); restart
    workers one by one to start signing with it.

    Older keys keep verifying (and stay in the JWKS) until retired with ``retire-key``.
    """
    settings = get_settings()
    kid = new_token_key(settings)
    typer.echo(f"new signing key {kid} in {tokens_dir(settings)}")


@security_app.command("retire-key")
def retire_key(kid: str) -> None:
    """Stop signing with a key: only its public part stays, and it verifies for one more token
    lifetime (the tokens it signed), then nothing. Restart the workers to apply."""
    settings = get_settings()
    public = retire_token_key(settings, kid)
    typer.echo(f"retired {kid}: {public} verifies until {settings.token_ttl_seconds} s from now")
