"""Keyset (cursor) pagination shared by every list in the API and CLI."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lienthong.errors import ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.on("cursor", "invalid-cursor", "cursor is not valid") from exc
    if not isinstance(values, list) or len(values) != width:
        raise ValidationFailed.on("cursor", "invalid-cursor", "cursor is not valid")
    return values


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.on(
            "limit", "invalid-limit", f"limit must be between 1 and {MAX_LIMIT}"
        )
    return limit


def keyset_page(
    session: Session,
    stmt: Select[Any],
    *,
    keys: Sequence[ColumnElement[Any]],
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by ``keys`` (unique together) from ``cursor``; rows and next cursor.

    ``stmt`` selects a single entity or row; the key values are read back from the last row
    through each key column's name.
    """
    check_limit(limit)
    if cursor:
        after = decode_cursor(cursor, len(keys))
        condition = keys[0] > after[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*after)
        stmt = stmt.where(condition)
    rows = list(session.scalars(stmt.order_by(*keys).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([getattr(last, key.key) for key in keys])  # type: ignore[attr-defined]
