"""Authorization by role through browser sessions: a person of each role signs in at the real
OpenID provider (authorization code with PKCE, through the platform's ``/signin``) and, with
nothing but that session's cookies, calls every operation generated from the routes
(tests/people/route_matrix.py, the generator the personal-access-token matrix uses): refused
(403 ``not-permitted`` in the one error shape) exactly where the role–permission table says.
And the session's defence against cross-site request forgery."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from lienthong.http.permissions import Role
from lienthong.signin.views import CSRF_COOKIE, CSRF_HEADER
from tests.people.route_matrix import (
    OTHER,
    OWN,
    ROLE_IDS,
    ROLES,
    Answer,
    disagreements,
    expected,
)
from tests.registry.factories import make_org
from tests.signin.harness import needs_provider
from tests.signin.people import OPERATOR, World

pytestmark = needs_provider


@pytest.fixture(scope="module")
def matrix(people: World) -> World:
    make_org(people.http, OPERATOR, OWN)
    make_org(people.http, OPERATOR, OTHER)
    return people


def _login(role: Role, scope: str | None) -> str:
    # The citizen's login is 12 digits: the provider's claim gives them a personal ID.
    return "033090000001" if role is Role.citizen else f"matrix-{role}-{scope}"


@pytest.mark.parametrize(("role", "scope"), ROLES, ids=ROLE_IDS)
def test_each_signed_in_role_is_allowed_exactly_what_the_table_gives(
    matrix: World, role: Role, scope: str | None
) -> None:
    _, browser = matrix.person(_login(role, scope), [(role, scope)])

    def call(method: str, path: str) -> Answer:
        return browser.app(method, path, json={})

    assert "authorization" not in {k.lower() for k in browser.http.headers}
    assert not disagreements(
        call, lambda _method, permission, org: expected(role, scope, permission, org)
    )


def test_a_change_needs_the_sessions_anti_forgery_token(matrix: World) -> None:
    _, admin = matrix.person("csrf-admin", [(Role.organisation_admin, OWN)])
    _, other = matrix.person("csrf-other", [(Role.organisation_admin, OWN)])
    path = f"/api/v1/organisations/{OWN}/systems"
    system = {"code": "csrf", "name": "Cổng một cửa"}
    # The cookie the platform's pages read: a __Host- cookie, not HttpOnly.
    [sent] = [c for c in admin.set_cookies if c.startswith(f"{CSRF_COOKIE}=")]
    assert {"secure", "path=/", "samesite=lax"} <= {a.strip().lower() for a in sent.split(";")}
    assert "httponly" not in sent.lower()
    # A page of another site rides the cookie but cannot read the token: refused, audited.
    for headers in ({}, {CSRF_HEADER: "0" * 64}, {CSRF_HEADER: other.cookies[CSRF_COOKIE]}):
        forged = admin.app("POST", path, json=system, headers=headers, csrf=False)
        assert forged.status_code == 403, forged.text
        assert forged.json()["error"]["code"] == "csrf-token-invalid"
    english = admin.app("POST", path, json=system, csrf=False, headers={"accept-language": "en"})
    assert "anti-forgery" in english.json()["error"]["message"]
    listed = admin.app("GET", path)  # reading needs no token
    assert listed.status_code == 200 and listed.json()["items"] == []
    made = admin.app("POST", path, json=system)  # the platform's own page sends it
    assert made.status_code == 201, made.text
    with matrix.engine.connect() as conn:
        bodies = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq")).scalars()
        refused = [
            e
            for e in map(json.loads, bodies)
            if e["action"] == "signin.denied" and e["outcome"] == "csrf-token-invalid"
        ]
    assert len(refused) == 4
    assert {e["actor"]["subject"] for e in refused} == {"csrf-admin"}
