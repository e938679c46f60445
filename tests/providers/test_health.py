"""The breaker through HTTP, and the provider's health feeding the connection report."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.web.app import create_app
from tests.providers.factories import (
    CALL,
    PROVIDER_ORG,
    entries,
    granted_consumer,
    provider_org,
    register,
)
from tests.providers.provider import Provider, running_provider

PURPOSE = {"X-Purpose": "land-administration"}


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def tuned(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """Two failures open a breaker for half a second; the provider probed every 0.2 s."""
    custom = settings.model_copy(
        update={
            "providers_breaker_failures": 2,
            "providers_breaker_open_seconds": 0.5,
            "providers_probe_seconds": 0.2,
        }
    )
    with TestClient(create_app(custom, engine=engine)) as client:
        yield client


def _state(client: TestClient, operator: dict[str, str]) -> str:
    report = client.get(
        "/api/v1/reports/connections/activity",
        params={"organisation": PROVIDER_ORG},
        headers=operator,
    )
    assert report.status_code == 200, report.text
    [org] = report.json()["by_organisation"]
    [system] = org["systems"]
    assert system["system"] == "land-api"
    return str(system["state"])


def test_the_breaker_opens_after_consecutive_failures_and_recovers_after_a_trial(
    tuned: TestClient, operator: dict[str, str], provider: Provider, engine: Engine
) -> None:
    provider_org(tuned, operator)
    register(tuned, operator, provider.url)
    token = granted_consumer(tuned, operator, ["flaky"])
    provider.failing = True
    codes = [tuned.get(f"{CALL}/flaky", headers=token | PURPOSE).status_code for _ in range(2)]
    assert codes == [500, 500]  # the provider's own answers, passed on
    reached = len([s for s in provider.seen if s["path"] == "/flaky"])
    refused = tuned.get(f"{CALL}/flaky", headers=token | PURPOSE)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "provider-unavailable"
    assert refused.headers["retry-after"] == "1"
    assert len([s for s in provider.seen if s["path"] == "/flaky"]) == reached  # not called
    provider.failing = False
    time.sleep(0.6)
    assert tuned.get(f"{CALL}/flaky", headers=token | PURPOSE).status_code == 200  # the trial
    assert tuned.get(f"{CALL}/flaky", headers=token | PURPOSE).status_code == 200
    outcomes = [e["outcome"] for e in entries(engine, "provider.call", 5)]
    assert outcomes == ["ok", "ok", "provider-unavailable", "ok", "ok"]


def test_a_call_the_provider_answers_makes_the_provider_system_active(
    client: TestClient, operator: dict[str, str], provider: Provider
) -> None:
    provider_org(client, operator)
    register(client, operator, provider.url)
    assert _state(client, operator) == "never-connected"
    token = granted_consumer(client, operator, ["getParcel"])
    assert client.get(f"{CALL}/parcels/1", headers=token | PURPOSE).status_code == 200
    assert _state(client, operator) == "active"


def test_the_health_probe_feeds_the_connection_report_only_when_answered(
    tuned: TestClient, operator: dict[str, str], provider: Provider, engine: Engine
) -> None:
    provider_org(tuned, operator)
    register(tuned, operator, "http://127.0.0.1:9", name="gone")  # nothing listens there
    [missed] = entries(engine, "provider.probe")
    assert (missed["outcome"], missed["reached"]) == ("provider-unreachable", False)
    assert _state(tuned, operator) == "never-connected"
    register(tuned, operator, provider.url)
    deadline = time.monotonic() + 5
    while not any(e["reached"] for e in entries(engine, "provider.probe")):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert any(s["path"] == "/health" for s in provider.seen)
    assert _state(tuned, operator) == "active"
