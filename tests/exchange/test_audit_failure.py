"""A read is never answered when its audit entry cannot be written: 503, no data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service", "X-Request-Id": "r-503"}
REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit storage refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit storage refused'; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries "
        "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
    ],
}
ALLOW = {
    "sqlite": ["DROP TRIGGER IF EXISTS refuse_audit"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS refuse_audit ON audit_entries",
        "DROP FUNCTION IF EXISTS refuse_audit()",
    ],
}


@pytest.fixture
def failing_audit(engine: Engine) -> Iterator[Engine]:
    yield engine
    _run(engine, ALLOW)


def _run(engine: Engine, statements: dict[str, list[str]]) -> None:
    with engine.begin() as conn:
        for sql in statements[engine.dialect.name]:
            conn.execute(text(sql))


def test_no_answer_without_its_audit_entry(
    client: TestClient, operator, failing_audit: Engine, citizens
) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    approve(client, operator, request_grant(client, token)["id"])
    url = f"/api/v1/data/citizen/{citizens[0]}"
    _run(failing_audit, REFUSE)
    for method, path, body in [
        ("GET", url, None),
        ("GET", "/api/v1/data/citizen", None),
        ("POST", "/api/v1/data/citizen/lookup", {"keys": [citizens[0]]}),
    ]:
        refused = client.request(method, path, json=body, headers=token | PURPOSE)
        assert refused.status_code == 503, (path, refused.text)
        assert refused.json()["error"]["code"] == "audit-unavailable"
        assert refused.headers["X-Request-Id"] == "r-503"
        assert citizens[0] not in refused.text and "Nguyễn" not in refused.text
    _run(failing_audit, ALLOW)
    assert client.get(url, headers=token | PURPOSE).status_code == 200
