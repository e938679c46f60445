"""Authorization by role, generated from the routes: every operation that declares a
permission is called, through real HTTP, as each role (a person with a personal access token),
as a system and as the break-glass operator; it must be refused (403 ``not-permitted``)
exactly when the role–permission table does not give that permission for that organisation.
The same matrix through browser sessions: tests/signin/test_matrix_sessions.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.http.permissions import (
    ROLE_PERMISSIONS,
    SYSTEM_PERMISSIONS,
    Permission,
    Role,
)
from lienthong.web.app import create_app
from tests.conftest import OPERATOR_TOKEN
from tests.exchange.factories import get_token, issue_credential
from tests.people.factories import person_headers
from tests.people.route_matrix import (
    OTHER,
    OWN,
    ROLE_IDS,
    ROLES,
    Answer,
    Call,
    disagreements,
    expected,
    operations,
)
from tests.registry.factories import make_org, make_system

OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
def matrix(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    unlimited = settings.model_copy(update={"source_refusal_limit": 0})
    with TestClient(create_app(unlimited, engine=engine)) as client:
        make_org(client, OPERATOR, OWN)
        make_org(client, OPERATOR, OTHER)
        yield client


def _as(client: TestClient, headers: dict[str, str]) -> Call:
    def call(method: str, path: str) -> Answer:
        return client.request(method, path, json={}, headers=headers)

    return call


def test_the_matrix_covers_every_operation_that_is_not_public() -> None:
    ops = operations()
    assert len(ops) > 60
    assert {p for _, _, p in ops} == set(Permission)  # every permission guards something


@pytest.mark.parametrize(("role", "scope"), ROLES, ids=ROLE_IDS)
def test_each_role_is_allowed_exactly_what_the_table_gives(
    matrix: TestClient, role: Role, scope: str | None
) -> None:
    headers = person_headers(matrix, f"{role}-{scope}", role, scope, personal_id="033090000001")
    assert not disagreements(
        _as(matrix, headers),
        lambda _method, permission, org: expected(role, scope, permission, org),
    )


def test_a_system_and_the_break_glass_operator_against_the_table(matrix: TestClient) -> None:
    make_system(matrix, OPERATOR, OWN, "portal")
    system = get_token(matrix, issue_credential(matrix, OPERATOR, OWN, "portal"))
    assert not disagreements(
        _as(matrix, system),
        lambda _method, permission, org: permission in SYSTEM_PERMISSIONS and org in (None, OWN),
    )
    assert not disagreements(
        _as(matrix, OPERATOR),
        lambda _method, permission, _org: permission in ROLE_PERMISSIONS[Role.platform_operator],
    )
