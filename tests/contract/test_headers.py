"""Security headers on every answer (the fast read path and refusals too); the API docs,
the OpenAPI document and the metrics are closed in production unless a setting opens them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.keys import new_token_key
from lienthong.web.app import create_app

STRONG = secrets.token_urlsafe(32)


def assert_guarded(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    assert "server" not in headers


def test_every_answer_carries_the_security_headers(
    client: TestClient, operator: dict[str, str]
) -> None:
    answers = [
        client.get("/api/v1/units/versions"),
        client.get("/api/v1/data/citizen/033090000001"),  # the fast path, refused
        client.get("/api/v1/data/citizen", headers={"X-Purpose": "x"}),
        client.post("/api/v1/organisations", json={}),
        client.get("/healthz"),
        client.post("/oauth/token", data={"grant_type": "client_credentials"}),
    ]
    for response in answers:
        assert_guarded(response)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_guarded(page)
    assert page.headers["x-frame-options"] == "DENY"


def _provision(settings: Settings) -> None:
    new_token_key(settings)
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (settings.data_dir / "keys" / "audit-signing.pem").write_bytes(key)


@pytest.fixture
def production(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[Settings]:
    live = Settings(
        environment="production",
        data_dir=tmp_path / "data",
        database_url=settings.resolved_database_url,
        operator_token=STRONG,
        audit_subject_key=secrets.token_urlsafe(32),
        cursor_key=secrets.token_urlsafe(32),
        auto_upgrade=False,
    )
    _provision(live)
    yield live


def test_production_closes_docs_and_protects_metrics(production: Settings, engine: Engine) -> None:
    with TestClient(create_app(production, engine=engine)) as api:
        for path in ("/docs", "/openapi.json", "/redoc"):
            assert api.get(path).status_code == 404, path
        refused = api.get("/metrics")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid-token"
        scraped = api.get("/metrics", headers={"Authorization": f"Bearer {STRONG}"})
        assert scraped.status_code == 200 and "lienthong_http_requests_total" in scraped.text
    opened = production.model_copy(update={"open_docs": True, "open_metrics": True})
    assert opened.docs_are_open and opened.metrics_are_open
    with TestClient(create_app(opened, engine=engine)) as api:
        assert api.get("/docs").status_code == 200
        assert api.get("/openapi.json").status_code == 200
        assert api.get("/metrics").status_code == 200
