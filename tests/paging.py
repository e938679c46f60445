"""Pages for tests that call list services directly (the faces build them from settings)."""

from __future__ import annotations

from lienthong.paging import DEFAULT_LIMIT, CursorSeal, PageRequest

SEAL = CursorSeal(b"a test deployment's LIENTHONG_CURSOR_KEY")


def a_page(limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> PageRequest:
    return PageRequest(seal=SEAL, limit=limit, cursor=cursor)
