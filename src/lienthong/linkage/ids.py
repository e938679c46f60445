"""Master record ids: keyed, so that nobody can compute a person's id from a personal ID.

An id is ``MP`` (person) or ``MB`` (business) and 32 hex digits of
HMAC-SHA256(``LIENTHONG_MASTER_ID_KEY``, kind · dataset · record key) of the master's first
record. The same key and the same records give the same id, so a relink from nothing names
masters as before; a master also keeps the id most of its records had (linkage.service).

Earlier versions named masters with an unkeyed hash of the first record's key (22
characters): anyone knowing a personal ID could address that person's master. Such ids are
recognised (``is_legacy``), never served, and replaced by keyed ones at the next linking run.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from lienthong.config import Settings
from lienthong.keys import secret_file

PREFIX = {"person": "MP", "business": "MB"}
_LEGACY = re.compile(r"M[PB][0-9a-f]{20}")


def master_id_key(settings: Settings) -> bytes:
    """``LIENTHONG_MASTER_ID_KEY``, or a generated key file outside production."""
    configured = settings.master_id_key
    if configured is not None:
        return configured.get_secret_value().encode()
    return secret_file(settings, "master-id.key")


def derive_id(key: bytes, kind: str, dataset: str, record_key: str, attempt: int = 0) -> str:
    """The id of a new master whose first record is ``(dataset, record_key)``; ``attempt``
    counts past an id already taken in the same run."""
    message = "\x1f".join((kind, dataset, record_key, str(attempt))).encode()
    return PREFIX[kind] + hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def is_legacy(master_id: str) -> bool:
    return _LEGACY.fullmatch(master_id) is not None
