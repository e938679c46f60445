"""The subject-access report lists exactly the reads that returned that person's record."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org


def _entries(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))
        bodies = [json.loads(body) for (body,) in rows]
    return {e["request_id"]: e for e in bodies if "request_id" in e}


def test_report_lists_exactly_the_reads_of_that_person(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    person, other, outside = citizens[0], citizens[1], citizens[5]
    make_org(client, operator, "H33.01")
    portal = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    tax = get_token(client, make_consumer(client, operator, "H33.06", "tax"))
    approve(client, operator, request_grant(client, portal)["id"])
    approve(client, operator, request_grant(client, tax, purposes=["tax-administration"])["id"])

    def call(token: dict[str, str], rid: str, purpose: str, method: str, url: str, **kw: Any):
        headers = token | {"X-Purpose": purpose, "X-Request-Id": rid}
        if "officer" in kw:
            headers["X-On-Behalf-Of"] = kw.pop("officer")
        return client.request(method, f"/api/v1/data/citizen{url}", headers=headers, **kw)

    ps, tx = "public-service", "tax-administration"
    # Reads that return the person's record:
    assert call(portal, "a-key", ps, "GET", f"/{person}", officer="cb-01").status_code == 200
    assert call(
        portal, "a-lookup", ps, "POST", "/lookup", json={"keys": [other, person]}
    ).is_success
    page = call(portal, "a-page", ps, "GET", "?limit=2").json()
    assert page["items"][0]["personal_id"] == person
    assert call(tax, "b-key", tx, "GET", f"/{person}").status_code == 200
    # Reads that do not: another person, a page without them, a filter that excludes them,
    # a refused purpose, a record outside the area, a missing key, a lookup of others.
    assert call(portal, "n-other", ps, "GET", f"/{other}").status_code == 200
    page2 = call(portal, "n-page2", ps, "GET", f"?limit=2&cursor={page['next_cursor']}")
    assert person not in page2.text and len(page2.json()["items"]) == 2
    assert call(portal, "n-filter", ps, "GET", "?full_name=Nguyễn Văn 3").json()["items"]
    assert call(tax, "n-purpose", ps, "GET", f"/{person}").status_code == 403
    assert call(portal, "n-outside", ps, "GET", f"/{outside}").status_code == 404
    assert call(portal, "n-missing", ps, "GET", "/033090999999").status_code == 404
    assert call(portal, "n-lookup", ps, "POST", "/lookup", json={"keys": [other]}).is_success

    report = client.get(f"/api/v1/audit/subjects/{person}", headers=operator)
    assert report.status_code == 200, report.text
    items = report.json()["items"]
    entries = _entries(engine)
    expected = [
        ("a-key", "H33.05", "portal", ps, "cb-01"),
        ("a-lookup", "H33.05", "portal", ps, None),
        ("a-page", "H33.05", "portal", ps, None),
        ("b-key", "H33.06", "tax", tx, None),
    ]
    assert [
        (i["request_id"], i["organisation"], i["system"], i["purpose"], i["on_behalf_of"])
        for i in items
    ] == expected
    assert all(i["dataset"] == "citizen" for i in items)
    assert [(i["seq"], i["at"]) for i in items] == [
        (entries[rid]["seq"], entries[rid]["at"]) for rid, *_ in expected
    ]
    # Paginated: the same rows, two at a time.
    first = client.get(f"/api/v1/audit/subjects/{person}?limit=2", headers=operator).json()
    rest = client.get(
        f"/api/v1/audit/subjects/{person}?limit=2&cursor={first['next_cursor']}",
        headers=operator,
    ).json()
    assert first["items"] + rest["items"] == items and rest["next_cursor"] is None
    # Asking is itself audited; a person nobody read has an empty report.
    assert client.get(f"/api/v1/audit/subjects/{outside}", headers=operator).json()["items"] == []
    with engine.connect() as conn:
        actions = [
            json.loads(b)["action"] for (b,) in conn.execute(text("SELECT body FROM audit_entries"))
        ]
    assert actions.count("audit.subject-report") == 4
    # A system holds no audit.subjects: refused.
    refused = client.get(f"/api/v1/audit/subjects/{person}", headers=portal)
    assert refused.status_code == 403
