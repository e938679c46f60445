"""Deny by default: the few operations anyone may call, and the check that every other route
declares who may call it.

Public: liveness and readiness, the token endpoint and its public keys, and published
reference data (administrative units, standards, shared code lists, purposes), and the DTI
indicator sets with the scoring and climbing computations over a posted table (they read no
platform data and change nothing), and the entry points of people's sign-in (login, the
provider's callback, logout). Everything
else declares the one permission it needs (``Permit``, http/callers.py; the roles that hold it:
http/permissions.py), or checks a system's token itself (the personal-data reads), or a
person's signed-in session (``/signin/me``), and its own
rule on top (a system sees its own grants and batches; personal data only under a grant).
``check_routes`` makes the application module fail to import while a route declares neither;
tests/contract/test_access.py calls every operation without a token to prove the refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from lienthong.errors import ConfigurationError
from lienthong.http.callers import Permit, system_scheme
from lienthong.http.permissions import Permission
from lienthong.signin.views import require_signed_in

PUBLIC: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/.well-known/jwks.json"),
        ("GET", "/.well-known/oauth-authorization-server"),
        ("POST", "/oauth/token"),
        ("GET", "/api/v1/units"),
        ("GET", "/api/v1/units/versions"),
        ("GET", "/api/v1/units/{code}"),
        ("GET", "/api/v1/units/{code}/children"),
        ("GET", "/api/v1/units/{code}/successors"),
        ("GET", "/api/v1/units/{code}/predecessors"),
        ("GET", "/api/v1/standards"),
        ("GET", "/api/v1/standards/{name}"),
        ("GET", "/api/v1/codelists"),
        ("GET", "/api/v1/codelists/{name}"),
        ("GET", "/api/v1/purposes"),
        ("GET", "/api/v1/dti/sets"),
        ("GET", "/api/v1/dti/sets/{set_id}"),
        ("POST", "/api/v1/dti/score"),
        ("POST", "/api/v1/dti/climb"),
        ("GET", "/api/v1/audit/checkpoints"),
        ("GET", "/api/v1/audit/checkpoints/latest"),
        ("GET", "/.well-known/audit-public-key.pem"),
        ("GET", "/signin/login"),
        ("GET", "/signin/callback"),
        ("POST", "/signin/logout"),
    }
)


def _is_rule(call: Callable[..., Any] | None) -> bool:
    return isinstance(call, Permit) or call in (system_scheme, require_signed_in)


def permissions_of(dependant: Dependant) -> list[Permission]:
    """The permissions a route declares (``Permit``), at any depth of its dependencies."""
    found = [sub.call.permission for sub in dependant.dependencies if isinstance(sub.call, Permit)]
    return found + [p for sub in dependant.dependencies for p in permissions_of(sub)]


def _declares_access(dependant: Dependant) -> bool:
    return any(_is_rule(sub.call) or _declares_access(sub) for sub in dependant.dependencies)


def _operations(routers: Iterable[tuple[APIRouter, str]]) -> list[tuple[str, str, APIRoute]]:
    return [
        (method, prefix + route.path, route)
        for router, prefix in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in sorted(route.methods or ())
    ]


def check_routes(routers: Iterable[tuple[APIRouter, str]]) -> None:
    """Every documented operation (of these routers, mounted at these prefixes) is public or
    declares an access rule, and every public entry names one of them."""
    operations = _operations(routers)
    undeclared = [
        f"{method} {path}"
        for method, path, route in operations
        if (method, path) not in PUBLIC and not _declares_access(route.dependant)
    ]
    stale = sorted(PUBLIC - {(method, path) for method, path, _ in operations})
    if undeclared or stale:
        raise ConfigurationError(
            f"routes without an access rule: {undeclared}; stale public entries: {stale}",
            code="undeclared-access",
        )
