"""Owner approval and citizens' own reads through browser sessions signed in at the real
OpenID provider: only a data steward of the dataset's owner decides (``decided_by`` is that
person, from the session), never the requester, two different stewards for sensitive fields
(four eyes); a citizen sees who read their records and nobody else's. The same rules through
personal access tokens: tests/people/test_owner_approval.py, tests/people/test_citizen.py."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lienthong.http.permissions import Role
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.exchange.factories import get_token, make_consumer, request_grant
from tests.ingest.factories import citizen_row, personal_id, register_system, write_citizens
from tests.people.factories import set_owner
from tests.registry.factories import make_org
from tests.signin.harness import Browser, needs_provider
from tests.signin.people import OPERATOR, World

pytestmark = needs_provider
OWNER = "H33.01"
ELSEWHERE = "H33.09"


@pytest.fixture(scope="module")
def owned(people: World) -> World:
    """H33.01 owns the citizens' dataset; H33.09 is another organisation."""
    make_org(people.http, OPERATOR, OWNER)
    make_org(people.http, OPERATOR, ELSEWHERE)
    return people


def _steward(world: World, n: int, org: str = OWNER) -> tuple[int, Browser]:
    return world.person(f"steward-{n}-{org}", [(Role.data_steward, org)])


def _approve(browser: Browser, grant_id: int) -> Any:
    return browser.app("POST", f"/api/v1/grants/{grant_id}/approve")


def _audited(world: World, prefix: str) -> list[dict[str, Any]]:
    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq")).scalars()
        return [e for e in map(json.loads, rows) if e["action"].startswith(prefix)]


def test_only_the_owners_stewards_decide_and_sensitive_fields_need_two(owned: World) -> None:
    set_owner(owned.http, OPERATOR, "citizen", OWNER)  # four eyes as the fields say
    token = get_token(owned.http, make_consumer(owned.http, OPERATOR, "H33.02", "portal"))
    grant = request_grant(owned.http, token)  # personal IDs: sensitive
    assert grant["approvals_needed"] == 2
    gid = grant["id"]
    _, outsider = _steward(owned, 1, ELSEWHERE)
    refused = _approve(outsider, gid)  # another organisation's grant is not even shown
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "unknown-grant"
    for role, org in (
        (Role.platform_operator, None),
        (Role.organisation_admin, OWNER),
        (Role.auditor, None),
    ):
        _, browser = owned.person(f"decide-{role}", [(role, org)])
        answer = _approve(browser, gid)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "not-permitted"

    first_id, first = _steward(owned, 1)
    once = _approve(first, gid)
    assert once.status_code == 200 and once.json()["status"] == "requested", once.text
    again = _approve(first, gid)  # the same person cannot be both pairs of eyes
    assert again.status_code == 409 and again.json()["error"]["code"] == "already-approved"
    second_id, second = _steward(owned, 2)
    done = _approve(second, gid)
    assert done.status_code == 200 and done.json()["status"] == "approved", done.text
    assert [a["person"] for a in done.json()["approvals"]] == [first_id, second_id]
    assert done.json()["decided_by"] == f"person:{second_id}"
    decisions = [e for e in _audited(owned, "grant.approv") if e["detail"]["grant"] == gid]
    assert [(e["action"], e["actor"]["person"], e["actor"]["via"]) for e in decisions] == [
        ("grant.approval", first_id, "session"),
        ("grant.approve", second_id, "session"),
    ]


def test_the_requester_never_approves_its_own_request(owned: World) -> None:
    set_owner(owned.http, OPERATOR, "citizen", OWNER)
    make_consumer(owned.http, OPERATOR, "H33.03", "kiosk")
    # Administers the consumer and stewards the owner: asks, then tries to approve.
    _, both = owned.person(
        "both-hats", [(Role.organisation_admin, "H33.03"), (Role.data_steward, OWNER)]
    )
    asked = both.app(
        "POST",
        "/api/v1/grants",
        json={
            "dataset": "citizen",
            "fields": ["full_name"],
            "units": ["33"],
            "purposes": ["public-service"],
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
            "consumer_organisation": "H33.03",
            "consumer_system": "kiosk",
        },
    )
    assert asked.status_code == 201, asked.text
    gid = asked.json()["id"]
    mine = _approve(both, gid)
    assert mine.status_code == 403 and mine.json()["error"]["code"] == "self-approval"
    steward_id, steward = _steward(owned, 3)
    other = _approve(steward, gid)
    assert other.status_code == 200 and other.json()["status"] == "approved", other.text
    assert other.json()["decided_by"] == f"person:{steward_id}"


def test_a_signed_in_citizen_sees_their_own_reads_only(owned: World, tmp_path: Path) -> None:
    source = register_system(owned.engine, owned.settings, "H33.07/hoso")
    ingest_file(
        engine=owned.engine,
        settings=owned.settings,
        request=IngestRequest(
            path=write_citizens(tmp_path / "c.csv", [citizen_row(n) for n in (1, 2)]),
            standard="citizen",
            system=source,
        ),
    )
    set_owner(owned.http, OPERATOR, "citizen", OWNER)
    token = get_token(owned.http, make_consumer(owned.http, OPERATOR, "H33.05", "portal"))
    grant = request_grant(owned.http, token, fields=["full_name"])
    _, steward = _steward(owned, 4)
    assert _approve(steward, grant["id"]).json()["status"] == "approved"
    read = token | {"X-Purpose": "public-service", "X-On-Behalf-Of": "cb-07"}
    for request_id, n in (("d-1", 1), ("d-2", 2)):
        got = owned.http.get(
            f"/api/v1/data/citizen/{personal_id(n)}", headers=read | {"X-Request-Id": request_id}
        )
        assert got.status_code == 200, got.text

    # The provider's login is the personal ID: the session carries it as a claim.
    _, mine = owned.person(personal_id(1), [(Role.citizen, None)])
    report = mine.app("GET", "/api/v1/people/me/reads")
    assert report.status_code == 200, report.text
    items = report.json()["items"]
    assert [(i["request_id"], i["organisation"], i["system"]) for i in items] == [
        ("d-1", "H33.05", "portal")
    ]
    assert (items[0]["purpose"], items[0]["on_behalf_of"]) == ("public-service", "cb-07")
    _, theirs = owned.person(personal_id(2), [(Role.citizen, None)])
    other = theirs.app("GET", "/api/v1/people/me/reads").json()["items"]
    assert [i["request_id"] for i in other] == ["d-2"]
    # Nobody else's: a named person's report is for auditors; a citizen has nothing else.
    named = mine.app("GET", f"/api/v1/audit/subjects/{personal_id(2)}")
    assert named.status_code == 403 and named.json()["error"]["code"] == "not-permitted"
    assert mine.app("GET", "/api/v1/grants").status_code == 403
