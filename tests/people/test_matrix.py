"""Authorization by role, generated from the routes: every operation that declares a
permission is called, through real HTTP, as each role (a person with a personal access token),
as a system and as the break-glass operator; it must be refused (403 ``not-permitted``)
exactly when the role–permission table does not give that permission for that organisation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.http.permissions import (
    ORGANISATION_SCOPED,
    ROLE_PERMISSIONS,
    SYSTEM_PERMISSIONS,
    Permission,
    Role,
)
from lienthong.web.access import permissions_of
from lienthong.web.app import ROUTERS, create_app
from tests.conftest import OPERATOR_TOKEN
from tests.exchange.factories import get_token, issue_credential
from tests.people.factories import person_headers
from tests.registry.factories import make_org, make_system

OWN = "H33.01"
OTHER = "H33.09"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
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


@pytest.fixture
def matrix(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    unlimited = settings.model_copy(update={"source_refusal_limit": 0})
    with TestClient(create_app(unlimited, engine=engine)) as client:
        make_org(client, OPERATOR, OWN)
        make_org(client, OPERATOR, OTHER)
        yield client


def _refused(client: TestClient, method: str, path: str, headers: dict[str, str]) -> bool:
    response = client.request(method, path, json={}, headers=headers)
    assert response.status_code != 401, (method, path, response.text)
    assert response.status_code < 500, (method, path, response.text)
    return response.status_code == 403 and response.json()["error"]["code"] == "not-permitted"


def test_the_matrix_covers_every_operation_that_is_not_public() -> None:
    ops = operations()
    assert len(ops) > 60
    assert {p for _, _, p in ops} == set(Permission)  # every permission guards something


@pytest.mark.parametrize(("role", "scope"), ROLES, ids=[f"{r}-{s}" for r, s in ROLES])
def test_each_role_is_allowed_exactly_what_the_table_gives(
    matrix: TestClient, role: Role, scope: str | None
) -> None:
    headers = person_headers(matrix, f"{role}-{scope}", role, scope, personal_id="033090000001")
    wrong = []
    for method, path, permission in operations():
        for org in (OWN, OTHER) if "{org}" in path else (None,):
            refused = _refused(matrix, method, concrete(path, org or OWN), headers)
            if refused == expected(role, scope, permission, org):
                wrong.append(
                    (method, path, org, permission.value, "refused" if refused else "allowed")
                )
    assert not wrong


def test_a_system_and_the_break_glass_operator_against_the_table(matrix: TestClient) -> None:
    make_system(matrix, OPERATOR, OWN, "portal")
    system = get_token(matrix, issue_credential(matrix, OPERATOR, OWN, "portal"))
    wrong = []
    for method, path, permission in operations():
        for org in (OWN, OTHER) if "{org}" in path else (None,):
            target = concrete(path, org or OWN)
            allowed = permission in SYSTEM_PERMISSIONS and org in (None, OWN)
            if _refused(matrix, method, target, system) == allowed:
                wrong.append(("system", method, path, org))
            operator_allowed = permission in ROLE_PERMISSIONS[Role.platform_operator]
            if _refused(matrix, method, target, OPERATOR) == operator_allowed:
                wrong.append(("operator", method, path, org))
    assert not wrong
