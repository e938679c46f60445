"""Rate limits (429 with Retry-After, the one error shape) and grant expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from lienthong.config import Settings
from lienthong.errors import Forbidden
from lienthong.exchange.access import CachedGrant, resolve_access
from lienthong.exchange.models import Grant
from lienthong.registry.models import InformationSystem
from lienthong.web.app import create_app
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.exchange.test_read_api import denied
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


@pytest.fixture
def slow_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A server that allows a system 2 requests at once and then one every 2 seconds."""
    limited = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 2})
    with TestClient(create_app(limited, engine=engine)) as client:
        yield client


def test_over_the_rate_is_429_with_retry_after(slow_client, operator, citizens, engine) -> None:
    client = slow_client
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    approve(client, operator, request_grant(client, token)["id"])
    url = f"/api/v1/data/citizen/{citizens[0]}"
    assert [client.get(url, headers=token | PURPOSE).status_code for _ in range(2)] == [200, 200]
    for method, path, body in [
        ("GET", url, None),
        ("GET", "/api/v1/data/citizen", None),
        ("POST", "/api/v1/data/citizen/lookup", {"keys": [citizens[0]]}),
    ]:
        refused = client.request(
            method, path, json=body, headers=token | PURPOSE | {"X-Request-Id": "r-429"}
        )
        assert refused.status_code == 429, path
        assert int(refused.headers["Retry-After"]) in (1, 2)
        assert refused.headers["X-Request-Id"] == "r-429"
        error = refused.json()["error"]
        assert refused.json() == {"error": error} and error["code"] == "rate-limited"
        assert error["details"] == [] and error["message"]
        assert citizens[0] not in refused.text
    # Refused for the rate is refused all the same: audited, with the caller and the request.
    refusals = denied(engine, 3)
    assert [(e["outcome"], e["request_id"]) for e in refusals] == [("rate-limited", "r-429")] * 3
    assert all(e["actor"]["kind"] == "system" for e in refusals)
    # Another system has its own bucket.
    other = get_token(client, make_consumer(client, operator, "H33.06", "tax"))
    assert client.get(url, headers=other | PURPOSE).json()["error"]["code"] == "no-grant"


def test_a_grant_is_usable_through_its_expiry_date_and_not_after() -> None:
    grant = CachedGrant(
        frozenset({"full_name"}), frozenset({"12166"}), frozenset({"public-service"}),
        date(2026, 1, 10),
    )  # fmt: skip
    access = resolve_access([grant], "public-service", date(2026, 1, 10))
    assert access.fields == ("full_name",) and access.communes == {"12166"}
    with pytest.raises(Forbidden) as refused:
        resolve_access([grant], "public-service", date(2026, 1, 11))
    assert refused.value.code == "no-grant"


def test_an_expired_grant_gives_no_access(client, operator, engine, citizens) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    token = get_token(client, consumer)
    url = f"/api/v1/data/citizen/{citizens[0]}"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    live = request_grant(client, token, expires_on=tomorrow)
    approve(client, operator, live["id"])
    assert client.get(url, headers=token | PURPOSE).status_code == 200
    client.post(f"/api/v1/grants/{live['id']}/revoke", headers=operator)
    # An approved grant whose date has passed (the API refuses to create one in the past).
    with engine.begin() as conn:
        system_id = conn.execute(
            select(InformationSystem.id).where(InformationSystem.code == "portal")
        ).scalar_one()
        conn.execute(
            insert(Grant).values(
                system_id=system_id,
                dataset="citizen",
                version=1,
                fields=["personal_id", "full_name"],
                units=["33"],
                communes=["12166"],
                purposes=["public-service"],
                expires_on=date.today() - timedelta(days=1),
                status="approved",
                decided_by="H33.01",
            )
        )
    refused = client.get(url, headers=token | PURPOSE)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no-grant"
    assert citizens[0] not in refused.text
