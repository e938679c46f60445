"""What a request says about itself: the client's address, the matched route's template, and
the mark a view puts on a refusal that web.sources counts against the address."""

from __future__ import annotations

import re

from fastapi import Request
from starlette.types import Scope

FLAG = "source_refused"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix: ``/api/v1/units/{code}``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    params = scope.get("path_params", {})
    concrete = _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), path)
    full = scope["path"]
    prefix = full[: -len(concrete)] if concrete and full.endswith(concrete) else ""
    return prefix + path


def mark_refused(request: Request) -> None:
    """Count this answer against the caller's address (a refusal that is not a 401)."""
    setattr(request.state, FLAG, True)
