"""Ed25519 keys on disk: token signing keys (rotated by key id) and single-purpose keys.

In development and test a missing key is generated (mode 0600); in production the platform
refuses to start without configured keys, so that it never signs with a key nobody provisioned.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lienthong.config import Environment, Settings
from lienthong.errors import ConfigurationError


@dataclass(frozen=True)
class KeyRing:
    """One signing key and every key that may still verify (published in the JWKS).

    A retired key (``<kid>.pub.pem``) verifies only until ``retiring[kid]`` (epoch seconds):
    its retirement time plus one token lifetime, when the last token it signed has expired.
    """

    signing_kid: str
    signing_key: Ed25519PrivateKey
    verification: dict[str, Ed25519PublicKey]
    retiring: dict[str, float] = field(default_factory=dict)

    def verifying(self, now: float | None = None) -> dict[str, Ed25519PublicKey]:
        """The keys that verify at ``now``: retired keys past their deadline are left out."""
        moment = time.time() if now is None else now
        return {
            kid: key
            for kid, key in self.verification.items()
            if self.retiring.get(kid, moment) >= moment
        }


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_private(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} is not an Ed25519 private key", code="invalid-key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey) -> str:
    """A stable id for a public key: the first 16 hex digits of its raw bytes' SHA-256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    return hashlib.sha256(raw).hexdigest()[:16]


def raw_b64url(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def tokens_dir(settings: Settings) -> Path:
    return settings.token_keys_dir or settings.data_dir / "keys" / "tokens"


def new_token_key(settings: Settings) -> str:
    """Create a new token key; its id sorts after every earlier one, so it signs from now on."""
    kid = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)
    _write_private(tokens_dir(settings) / f"{kid}.pem", Ed25519PrivateKey.generate())
    return kid


RETIRED_SUFFIX = ".retired"


def retired_at(public_file: Path) -> float:
    """When a ``<kid>.pub.pem`` was retired: its ``<kid>.retired`` sidecar (ISO 8601 time,
    written by ``lienthong security retire-key``), else the file's modification time."""
    sidecar = public_file.with_name(public_file.name.removesuffix(".pub.pem") + RETIRED_SUFFIX)
    if sidecar.is_file():
        try:
            return datetime.fromisoformat(sidecar.read_text().strip()).timestamp()
        except ValueError as exc:
            raise ConfigurationError(
                f"{sidecar} does not hold an ISO 8601 time", code="invalid-key"
            ) from exc
    return public_file.stat().st_mtime


def retire_token_key(settings: Settings, kid: str) -> Path:
    """Keep only the public part of ``kid`` (``<kid>.pub.pem``) and record the retirement
    time beside it; it verifies for one more token lifetime, then nothing."""
    folder = tokens_dir(settings)
    private = folder / f"{kid}.pem"
    if not private.is_file():
        raise ConfigurationError(f"no signing key {kid!r} in {folder}", code="invalid-key")
    others = [p for p in folder.glob("*.pem") if not p.name.endswith(".pub.pem") and p != private]
    if not others:
        raise ConfigurationError(
            f"{kid} is the only signing key; run `lienthong security rotate-key` first",
            code="invalid-key",
        )
    public = folder / f"{kid}.pub.pem"
    public.write_bytes(public_pem(load_private(private).public_key()))
    (folder / f"{kid}{RETIRED_SUFFIX}").write_text(datetime.now(UTC).isoformat() + "\n")
    private.unlink()
    return public


def load_token_keys(settings: Settings) -> KeyRing:
    """Private keys ``<kid>.pem`` sign and verify; ``<kid>.pub.pem`` only verify (retiring),
    until their retirement time plus the token lifetime."""
    folder = tokens_dir(settings)
    private = (
        sorted(p for p in folder.glob("*.pem") if not p.name.endswith(".pub.pem"))
        if (folder.exists())
        else []
    )
    if not private:
        if settings.environment is Environment.production:
            raise ConfigurationError(
                f"no token signing key in {folder}; run `lienthong security rotate-key` or set "
                "LIENTHONG_TOKEN_KEYS_DIR",
                code="missing-signing-key",
            )
        new_token_key(settings)
        private = sorted(p for p in folder.glob("*.pem") if not p.name.endswith(".pub.pem"))
    keys = {p.name.removesuffix(".pem"): load_private(p) for p in private}
    verification = {kid: k.public_key() for kid, k in keys.items()}
    retiring: dict[str, float] = {}
    for path in folder.glob("*.pub.pem"):
        public = serialization.load_pem_public_key(path.read_bytes())
        retired = path.name.removesuffix(".pub.pem")
        if isinstance(public, Ed25519PublicKey) and retired not in keys:
            verification[retired] = public
            retiring[retired] = retired_at(path) + settings.token_ttl_seconds
    kid = settings.token_signing_kid or max(keys)
    if kid not in keys:
        raise ConfigurationError(f"signing key {kid!r} not found in {folder}", code="invalid-key")
    return KeyRing(
        signing_kid=kid, signing_key=keys[kid], verification=verification, retiring=retiring
    )


def single_key(settings: Settings, configured: Path | None, name: str) -> Ed25519PrivateKey:
    """A single-purpose key (e.g. audit checkpoints): the configured file, or a generated one."""
    path = configured or settings.data_dir / "keys" / name
    if not path.exists():
        if settings.environment is Environment.production:
            raise ConfigurationError(f"key file {path} is missing", code="missing-signing-key")
        with contextlib.suppress(FileExistsError):  # another worker created it first
            _write_private(path, Ed25519PrivateKey.generate())
    return load_private(path)


def secret_file(settings: Settings, name: str) -> bytes:
    """A random 256-bit secret kept in data_dir/keys (development and test only)."""
    path = settings.data_dir / "keys" / name
    if not path.exists():
        if settings.environment is Environment.production:
            raise ConfigurationError(f"secret {name} is not configured", code="missing-secret")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip().encode()
