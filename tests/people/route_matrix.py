"""The role matrix, generated from the routes: every operation that declares a permission, the
concrete path to call it with, what the role–permission table says a role may do, and the walk
that calls each operation as one caller and lists where the answer disagrees with the table.

Shared by the matrix through personal access tokens (tests/people/test_matrix.py) and the one
through browser sessions signed in at the real OpenID provider
(tests/signin/test_matrix_sessions.py): one generator, two ways of being a person."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from fastapi.routing import APIRoute

from lienthong.http.permissions import ORGANISATION_SCOPED, ROLE_PERMISSIONS, Permission, Role
from lienthong.web.access import permissions_of
from lienthong.web.app import ROUTERS

OWN = "H33.01"
OTHER = "H33.09"
# (role, the organisation it is held for)
ROLES: list[tuple[Role, str | None]] = [
    (Role.platform_operator, None),
    (Role.organisation_admin, OWN),
    (Role.data_steward, OWN),
    (Role.auditor, None),
    (Role.auditor, OWN),
    (Role.leader, None),
    (Role.citizen, None),
]
ROLE_IDS = [f"{r}-{s}" for r, s in ROLES]


class Answer(Protocol):
    """What both test clients answer (httpx and Starlette's)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


# (method, path) → the answer, as one caller
Call = Callable[[str, str], Answer]


def operations() -> list[tuple[str, str, Permission]]:
    found = []
    for router, prefix in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for permission in permissions_of(route.dependant):
                for method in sorted(route.methods or ()):
                    found.append((method, prefix + route.path, permission))
    return found


def concrete(path: str, org: str) -> str:
    """A path to call: ``org`` for the organisation, an id nothing has for every ``…_id`` (the
    caller must not revoke its own token or take its own role on the way), "33" elsewhere."""
    path = re.sub(r"\{[a-z_]*_id\}", "999999", path.replace("{org}", org))
    return re.sub(r"\{[^}]+\}", "33", path)


def expected(role: Role, scope: str | None, permission: Permission, path_org: str | None) -> bool:
    """What the table says, read directly: a province-wide role gives its permissions; an
    organisation's role gives the organisation-scoped ones, for that organisation only."""
    if permission not in ROLE_PERMISSIONS[role]:
        return False
    if scope is None:
        return True
    return permission in ORGANISATION_SCOPED and path_org in (None, scope)


def refused(call: Call, method: str, path: str) -> bool:
    """Whether the caller is refused this operation: 403 ``not-permitted`` in the one error
    shape. Never 401 (the caller is someone) nor a server error."""
    answer = call(method, path)
    assert answer.status_code != 401, (method, path, answer.text)
    assert answer.status_code < 500, (method, path, answer.text)
    if answer.status_code != 403:
        return False
    error = answer.json()["error"]
    assert set(error) == {"code", "message", "details"}, (method, path, answer.text)
    return bool(error["code"] == "not-permitted")


def disagreements(
    call: Call, allowed: Callable[[str, Permission, str | None], bool]
) -> list[tuple[str, str, str | None, str, str]]:
    """Every operation, for the own and the other organisation where its path names one,
    whose answer is not what ``allowed(method, permission, organisation)`` says."""
    wrong = []
    for method, path, permission in operations():
        for org in (OWN, OTHER) if "{org}" in path else (None,):
            was_refused = refused(call, method, concrete(path, org or OWN))
            if was_refused == allowed(method, permission, org):
                wrong.append(
                    (method, path, org, permission.value, "refused" if was_refused else "allowed")
                )
    return wrong
