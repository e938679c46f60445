"""``lienthong security rotate-key``."""

from __future__ import annotations

import typer

from lienthong.config import get_settings
from lienthong.security.keys import new_token_key, tokens_dir

security_app = typer.Typer(help="Token signing keys.", no_args_is_help=True)


@security_app.command("rotate-key")
def rotate_key() -> None:
    """Create a new token signing key; restart workers one by one to start signing with it.

    Older keys keep verifying (and stay in the JWKS) until their file is removed or renamed
    to ``<kid>.pub.pem`` holding only the public key, after the token lifetime has passed.
    """
    settings = get_settings()
    kid = new_token_key(settings)
    typer.echo(f"new signing key {kid} in {tokens_dir(settings)}")
