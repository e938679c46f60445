"""A person signed in through the real OpenID provider is a person of the platform: the sign-in
creates them (no role), their browser session carries their roles' permissions and nothing
more, and a personal access token is made from that session."""

from __future__ import annotations

from tests.conftest import OPERATOR_TOKEN
from tests.signin.harness import (
    CITIZEN,
    Provider,
    Served,
    browser,
    needs_provider,
)

pytestmark = needs_provider
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


def test_a_signed_in_citizen_holds_their_roles_and_makes_a_token(
    platform: Served, idp: Provider
) -> None:
    with browser(platform.url) as person:
        assert person.sign_in(CITIZEN).status_code == 303
        # First sign-in: a person exists, with no role, so nothing is permitted yet.
        refused = person.app("GET", "/api/v1/people/me/reads")
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "not-permitted"
        listed = person.app("GET", "/api/v1/people?limit=50", headers=OPERATOR).json()["items"]
        mine = [p for p in listed if p["subject"] == CITIZEN]
        assert len(mine) == 1 and mine[0]["issuer"] == idp.issuer and mine[0]["roles"] == []

        granted = person.app(
            "POST",
            f"/api/v1/people/{mine[0]['id']}/roles",
            json={"role": "citizen"},
            headers=OPERATOR,
        )
        assert granted.status_code == 200, granted.text
        me = person.app("GET", "/api/v1/people/me")
        assert me.status_code == 200, me.text
        assert me.json()["subject"] == CITIZEN
        assert [r["role"] for r in me.json()["roles"]] == ["citizen"]
        assert person.app("GET", "/api/v1/people/me/reads").status_code == 200
        # A citizen's session does not manage people or read the registry's grants.
        assert person.app("GET", "/api/v1/people").status_code == 403
        assert person.app("GET", "/api/v1/grants").status_code == 403

        made = person.app("POST", "/api/v1/people/me/tokens", json={"name": "script", "days": 1})
        assert made.status_code == 201, made.text
        bearer = {"Authorization": f"Bearer {made.json()['token']}"}
        assert (
            person.http.get(f"{platform.url}/api/v1/people/me", headers=bearer).json()["subject"]
            == CITIZEN
        )

        kept = dict(person.cookies)  # the cookie as a stolen copy would be
        assert person.app("POST", "/signin/logout").status_code in (204, 303)
        cookie = "; ".join(f"{k}={v}" for k, v in kept.items())
        after = person.http.get(
            f"{platform.url}/api/v1/people/me/reads", headers={"cookie": cookie}
        )
        assert after.status_code == 401, after.text
        assert after.json()["error"]["code"] == "missing-token"
