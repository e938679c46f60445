"""Provider fixtures and helpers: a registered service, a consumer with an approved grant."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.exchange.factories import get_token, make_consumer
from tests.people.factories import steward
from tests.providers.provider import DOCUMENT
from tests.registry.factories import make_org, make_system

PROVIDER_ORG, PROVIDER_SYSTEM = "H33.05", "land-api"
CALL = "/api/v1/providers/land/call"


def register(
    client: TestClient, headers: dict[str, str], url: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "organisation": PROVIDER_ORG,
        "system": PROVIDER_SYSTEM,
        "name": "land",
        "base_url": url,
        "document": DOCUMENT,
        "timeout_seconds": 1.0,
        "max_response_bytes": 100_000,
        "health_path": "/health",
    } | fields
    response = client.post("/api/v1/providers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def provider_org(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, PROVIDER_ORG)
    make_system(client, operator, PROVIDER_ORG, PROVIDER_SYSTEM)


def granted_consumer(
    client: TestClient,
    operator: dict[str, str],
    operations: list[str],
    purposes: tuple[str, ...] = ("land-administration",),
) -> dict[str, str]:
    """A consumer's token headers, with an approved grant on these operations of ``land``."""
    token = get_token(client, make_consumer(client, operator))
    grant = ask(client, token, operations, list(purposes))
    response = client.post(
        f"/api/v1/grants/{grant['id']}/approve", headers=steward(client, PROVIDER_ORG)
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    return token


def ask(
    client: TestClient, token: dict[str, str], operations: list[str], purposes: list[str]
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/providers/land/grants",
        json={
            "operations": operations,
            "purposes": purposes,
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        headers=token,
    )
    assert response.status_code == 201, response.text
    return response.json()


def entries(engine: Engine, action: str, count: int = 1, wait: float = 5.0) -> list[dict[str, Any]]:
    """The audit entries of ``action`` in order, waiting (refusals are written without
    making the answer wait) until there are at least ``count``."""
    deadline = time.monotonic() + wait
    while True:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT body FROM audit_entries ORDER BY seq")).all()
        found = [json.loads(b) for (b,) in rows if json.loads(b)["action"] == action]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
