"""Keys on disk: token signing keys (rotated by key id) and single-purpose Ed25519 keys.

Token keys are ES256 (P-256), RS256 (RSA 3072) or EdDSA (Ed25519): the deployment chooses
(``LIENTHONG_TOKEN_ALGORITHM``), since older Java and .NET stacks verify only the first two.
In development and test a missing key is generated (mode 0600); in production the platform
refuses to start without configured keys, so that it never signs with a key nobody provisioned.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lienthong.config import Environment, Settings
from lienthong.errors import ConfigurationError

SigningKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
# The JWS algorithm each kind of key signs with (RFC 7518, RFC 8037).
ALGORITHMS = ("ES256", "RS256", "EdDSA")
DEFAULT_ALGORITHM = "ES256"
RSA_BITS = 3072


def algorithm_of(key: SigningKey | PublicKey) -> str:
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "EdDSA"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RS256"
    return "ES256"


def generate_key(algorithm: str) -> SigningKey:
    if algorithm == "EdDSA":
        return Ed25519PrivateKey.generate()
    if algorithm == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    return ec.generate_private_key(ec.SECP256R1())


@dataclass(frozen=True)
class KeyRing:
    """One signing key and every key that may still verify (published in the JWKS).

    A retired key (``<kid>.pub.pem``) verifies only until ``retiring[kid]`` (epoch seconds):
    its retirement time plus one token lifetime, when the last token it signed has expired.
    """

    signing_kid: str
    signing_key: SigningKey
    verification: dict[str, PublicKey]
    retiring: dict[str, float] = field(default_factory=dict)

    @property
    def algorithm(self) -> str:
        return algorithm_of(self.signing_key)

    def verifying(self, now: float | None = None) -> dict[str, PublicKey]:
        """The keys that verify at ``now``: retired keys past their deadline are left out."""
        moment = time.time() if now is None else now
        return {
            kid: key
            for kid, key in self.verification.items()
            if self.retiring.get(kid, moment) >= moment
        }


def _write_private(path: Path, key: SigningKey) -> None:
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


def load_signing_key(path: Path) -> SigningKey:
    """A token key: Ed25519, EC P-256 or RSA (at least 2048 bits)."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if isinstance(key, Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return key
    raise ConfigurationError(
        f"{path} is not an Ed25519, P-256 or RSA (2048+ bits) private key", code="invalid-key"
    )


def _load_public(path: Path) -> PublicKey | None:
    key = serialization.load_pem_public_key(path.read_bytes())
    if isinstance(key, Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return key
    return None


def public_pem(key: PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey) -> str:
    """A stable id for a public key: the first 16 hex digits of its raw bytes' SHA-256."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    return hashlib.sha256(raw).hexdigest()[:16]


def tokens_dir(settings: Settings) -> Path:
    return settings.token_keys_dir or settings.data_dir / "keys" / "tokens"


def chosen_algorithm(settings: Settings) -> str:
    return settings.token_algorithm or DEFAULT_ALGORITHM


def new_token_key(settings: Settings, algorithm: str | None = None) -> str:
    """Create a new token key (of the deployment's algorithm unless told); its id sorts after
    every earlier one, so it signs from now on."""
    kid = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)
    key = generate_key(algorithm or chosen_algorithm(settings))
    _write_private(tokens_dir(settings) / f"{kid}.pem", key)
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
    public.write_bytes(public_pem(load_signing_key(private).public_key()))
    (folder / f"{kid}{RETIRED_SUFFIX}").write_text(datetime.now(UTC).isoformat() + "\n")
    private.unlink()
    return public


def _private_files(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(p for p in folder.glob("*.pem") if not p.name.endswith(".pub.pem"))


def load_token_keys(settings: Settings) -> KeyRing:
    """Private keys ``<kid>.pem`` sign and verify; ``<kid>.pub.pem`` only verify (retiring),
    until their retirement time plus the token lifetime.

    The signing key is ``LIENTHONG_TOKEN_SIGNING_KID``, else the newest key of the chosen
    algorithm (``LIENTHONG_TOKEN_ALGORITHM``), else the newest key of any: a deployment that
    sets no algorithm keeps signing with the keys it has (Ed25519 before ES256 was offered).
    Development and test generate a key when there is none to sign with.
    """
    folder = tokens_dir(settings)
    wanted = settings.token_algorithm
    keys = {p.name.removesuffix(".pem"): load_signing_key(p) for p in _private_files(folder)}
    fitting = [kid for kid, k in keys.items() if wanted is None or algorithm_of(k) == wanted]
    if not fitting and settings.token_signing_kid is None:
        if settings.environment is Environment.production:
            kind = f"{wanted} " if wanted else ""
            raise ConfigurationError(
                f"no {kind}token signing key in {folder}; run `lienthong security rotate-key` "
                "or set LIENTHONG_TOKEN_KEYS_DIR",
                code="missing-signing-key",
            )
        kid = new_token_key(settings)
        keys[kid] = load_signing_key(folder / f"{kid}.pem")
        fitting = [kid]
    verification: dict[str, PublicKey] = {kid: k.public_key() for kid, k in keys.items()}
    retiring: dict[str, float] = {}
    for path in folder.glob("*.pub.pem"):
        public = _load_public(path)
        retired = path.name.removesuffix(".pub.pem")
        if public is not None and retired not in keys:
            verification[retired] = public
            retiring[retired] = retired_at(path) + settings.token_ttl_seconds
    kid = settings.token_signing_kid or max(fitting)
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
