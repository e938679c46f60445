"""The page a list request asks for: ``limit`` and ``cursor`` declared once for every list."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from lienthong.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest


def page_request(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> PageRequest:
    return PageRequest(seal=request.app.state.cursors, limit=limit, cursor=cursor)


Paging = Annotated[PageRequest, Depends(page_request)]
