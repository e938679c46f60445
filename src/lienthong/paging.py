"""Keyset (cursor) pagination shared by every list in the API and CLI.

A cursor carries the position after which the next page starts (the last row's key values),
sealed with AES-GCM under a server secret (``LIENTHONG_CURSOR_KEY``). The caller can neither
read it (in some lists the key is a personal ID the caller was not granted) nor change it (an
edited position would probe key ranges). It opens only for the list, filters and caller it
was issued to: they are the encryption's associated data, so a cursor presented anywhere else
fails authentication like a tampered one. Every failure is the same 422 ``invalid-cursor``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Generic, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session

from lienthong.config import Settings
from lienthong.errors import ValidationFailed
from lienthong.keys import secret_file

# A key column to order and page by: a mapped attribute or a table column.
Orderable = ColumnElement[Any] | QueryableAttribute[Any]
T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
NONCE_BYTES = 12
MAX_CURSOR_CHARS = 1024  # far above any cursor issued; longer input is refused unread


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None


def invalid_cursor() -> ValidationFailed:
    return ValidationFailed.on("cursor", "invalid-cursor", "cursor is not valid")


def _canonical(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def _bound(context: Sequence[Any]) -> bytes:
    return json.dumps(list(context), separators=(",", ":"), default=_canonical).encode()


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class CursorSeal:
    """Seals positions into cursors and opens them again, for one context each."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"lienthong cursor v1"
        ).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, position: Sequence[Any], context: Sequence[Any]) -> str:
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(list(position), separators=(",", ":"), default=str).encode()
        return _text(nonce + self._aead.encrypt(nonce, plain, _bound(context)))

    def open(self, cursor: str, context: Sequence[Any], width: int) -> list[Any]:
        """The position sealed in ``cursor`` for this context; else 422 ``invalid-cursor``."""
        if len(cursor) > MAX_CURSOR_CHARS:
            raise invalid_cursor()
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            # One text per cursor: base64 ignores stray characters and the spare bits of
            # the last one, so an edited text could still decode to the same bytes.
            if len(raw) <= NONCE_BYTES or _text(raw) != cursor:
                raise invalid_cursor()
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound(context))
            position = json.loads(plain)
        except (ValueError, InvalidTag) as exc:
            raise invalid_cursor() from exc
        if not isinstance(position, list) or len(position) != width:
            raise invalid_cursor()
        return position


@lru_cache(maxsize=8)
def _seal(secret: bytes) -> CursorSeal:
    return CursorSeal(secret)


def cursor_seal(settings: Settings) -> CursorSeal:
    """The deployment's seal: ``LIENTHONG_CURSOR_KEY``, or a generated key file outside
    production (every server process must share it, or cursors would not open elsewhere)."""
    configured = settings.cursor_key
    secret = (
        configured.get_secret_value().encode()
        if configured is not None
        else secret_file(settings, "cursor.key")
    )
    return _seal(secret)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.on(
            "limit", "invalid-limit", f"limit must be between 1 and {MAX_LIMIT}"
        )
    return limit


def limit_from(text: str | None) -> int:
    """A ``limit`` query parameter read by hand (the guarded data routes parse their input
    only once the caller is authorised)."""
    if text is None:
        return DEFAULT_LIMIT
    try:
        return check_limit(int(text))
    except ValueError as exc:
        raise ValidationFailed.on("limit", "invalid-limit", "limit must be a number") from exc


@dataclass(frozen=True)
class PageRequest:
    """A page asked for: its size, the cursor it continues from, and whom cursors are for.

    ``caller`` is the face's part of every cursor's binding (who asked: a system's id); the
    service adds its part (which list, with which filters) as ``scope``.
    """

    seal: CursorSeal
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    caller: tuple[Any, ...] = ()

    def for_caller(self, *identity: Any) -> PageRequest:
        return replace(self, caller=identity)

    def start(self, scope: Sequence[Any], width: int) -> list[Any] | None:
        """Check the limit; the position to continue after (None: the first page)."""
        check_limit(self.limit)
        if not self.cursor:
            return None
        return self.seal.open(self.cursor, (*self.caller, *scope), width)

    def next_cursor(self, scope: Sequence[Any], position: Sequence[Any]) -> str:
        return self.seal.seal(position, (*self.caller, *scope))


def after_position(
    keys: Sequence[Orderable], after: Sequence[Any], *, descending: bool = False
) -> ColumnElement[bool]:
    """Rows strictly after ``after`` in the order of ``keys`` (a row-value comparison)."""
    left, right = (keys[0], after[0]) if len(keys) == 1 else (tuple_(*keys), tuple_(*after))
    return left < right if descending else left > right


def keyset_page(
    session: Session,
    stmt: Select[Any],
    *,
    keys: Sequence[Orderable],
    page: PageRequest,
    scope: Sequence[Any],
    rows: bool = False,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by ``keys`` (unique together) from the cursor; rows, next cursor.
    ``descending``: last first (newest first, for ids), every key in the same direction.

    ``stmt`` selects a single entity, read back as objects; with ``rows`` it selects columns,
    read back as mappings. The key values of the last row are read through each key column's
    name (so ``stmt`` must select them). ``scope`` names the list and its filters.
    """
    after = page.start(scope, len(keys))
    if after is not None:
        stmt = stmt.where(after_position(keys, after, descending=descending))
    order = [key.desc() for key in keys] if descending else list(keys)
    query = stmt.order_by(*order).limit(page.limit + 1)
    found = list(session.execute(query).mappings()) if rows else list(session.scalars(query))
    if len(found) <= page.limit:
        return found, None
    found = found[: page.limit]
    last = found[-1]
    names = [str(key.key) for key in keys]
    position = [last[n] for n in names] if rows else [getattr(last, n) for n in names]
    return found, page.next_cursor(scope, position)
