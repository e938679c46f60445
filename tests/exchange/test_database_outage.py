"""PostgreSQL becomes unreachable: every request answers 503 ``database-unavailable`` with
Retry-After (the read hot path too), the outage is logged once, no data leaves, and service
comes back with the database. The platform reaches PostgreSQL through a TCP forwarder on
127.0.0.1 that the test closes: real connection resets and refusals, no mock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from lienthong.config import Settings
from lienthong.web.app import create_app
from tests.contract.test_error_shape import assert_error_shape
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.forwarder import Forwarder
from tests.registry.factories import make_org

PURPOSE = {"X-Purpose": "public-service"}


@pytest.fixture
def forwarder(backend: str, settings: Settings) -> Iterator[Forwarder]:
    if backend != "postgresql":
        pytest.skip("an unreachable database server is a PostgreSQL situation")
    url = urlsplit(settings.resolved_database_url)
    relay = Forwarder((url.hostname or "127.0.0.1", url.port or 5432))
    yield relay
    relay.cut()


def _through(settings: Settings, port: int) -> Settings:
    url = urlsplit(settings.resolved_database_url)
    netloc = url.netloc.replace(f"{url.hostname}:{url.port}", f"127.0.0.1:{port}")
    return settings.model_copy(update={"database_url": url._replace(netloc=netloc).geturl()})


def test_an_unreachable_database_answers_503_logged_once_and_recovers(
    client: TestClient,
    operator: dict[str, str],
    citizens: list[str],
    settings: Settings,
    forwarder: Forwarder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    approve(client, operator, request_grant(client, get_token(client, consumer))["id"])
    with TestClient(create_app(_through(settings, forwarder.port))) as api:
        token = get_token(api, consumer)
        one = f"/api/v1/data/citizen/{citizens[0]}"
        assert api.get(one, headers=token | PURPOSE).status_code == 200
        forwarder.cut()
        caplog.clear()
        credentials = {k: consumer[k] for k in ("client_id", "client_secret")}
        calls = [
            ("GET", one, {"headers": token | PURPOSE}),  # the raw hot path
            ("GET", "/api/v1/data/citizen?limit=5", {"headers": token | PURPOSE}),
            ("POST", "/api/v1/data/citizen/lookup", {"headers": token | PURPOSE,
                                                     "json": {"keys": citizens[:2]}}),
            ("POST", "/oauth/token", {"data": {"grant_type": "client_credentials"} | credentials}),
            ("GET", "/api/v1/organisations", {"headers": operator}),
            ("GET", "/api/v1/grants", {"headers": operator}),
        ]  # fmt: skip
        with caplog.at_level(logging.INFO):
            for _ in range(5):
                for method, path, kwargs in calls:
                    response = api.request(method, path, **kwargs)
                    assert_error_shape(response, 503, "database-unavailable")
                    assert response.headers["Retry-After"].isdigit()
                    assert "Nguyễn" not in response.text
        outage = [r for r in caplog.records if r.getMessage().startswith("database unavailable")]
        assert len(outage) == 1, [r.getMessage() for r in caplog.records]
        assert not [r for r in caplog.records if r.exc_info], "no traceback per request"
        back = Forwarder(forwarder.target, forwarder.port)
        try:
            response = api.get(one, headers=token | PURPOSE)
            assert response.status_code == 200, response.text
            assert api.get("/api/v1/organisations", headers=operator).status_code == 200
        finally:
            back.cut()
