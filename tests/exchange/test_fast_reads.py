"""The single-record read answered before routing equals the routed one, answer for answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.exchange.fast_reads import FastReads
from lienthong.web.app import create_app
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org


@pytest.fixture
def routed(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    app.user_middleware = [m for m in app.user_middleware if m.cls is not FastReads]
    with TestClient(app) as client:
        yield client


def test_fast_and_routed_reads_answer_alike(client, routed, operator, citizens) -> None:
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    approve(client, operator, request_grant(client, token)["id"])
    purpose = {"X-Purpose": "public-service"}
    cases = [
        (f"/api/v1/data/citizen/{citizens[0]}", token | purpose),  # 200
        (f"/api/v1/data/citizen/{citizens[5]}", token | purpose),  # outside the area: 404
        ("/api/v1/data/citizen/033090999999", token | purpose),  # missing: 404
        (f"/api/v1/data/citizen/{citizens[0]}", token),  # no purpose: 400
        (f"/api/v1/data/citizen/{citizens[0]}", purpose),  # no token: 401
        (f"/api/v1/data/business/{citizens[0]}", token | purpose),  # no grant: 403
    ]
    statuses = []
    for url, headers in cases:
        headers = headers | {"X-Request-Id": "same"}
        fast, slow = client.get(url, headers=headers), routed.get(url, headers=headers)
        assert (fast.status_code, fast.json()) == (slow.status_code, slow.json()), url
        for name in ("content-type", "x-request-id"):
            assert fast.headers[name] == slow.headers[name], (url, name)
        statuses.append(fast.status_code)
    assert statuses == [200, 404, 404, 400, 401, 403]
    assert _has_fast_reads(client.app) and not _has_fast_reads(routed.app)


def _has_fast_reads(app: Any) -> bool:
    layer = app.middleware_stack
    while layer is not None:
        if isinstance(layer, FastReads):
            return True
        layer = getattr(layer, "app", None)
    return False
