from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong import migrate
from lienthong.config import Settings
from lienthong.errors import ConfigurationError
from lienthong.web.app import create_app


def test_readyz_reports_ready(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}


def test_schema_is_current_after_upgrade(engine: Engine) -> None:
    assert migrate.pending(engine) == set()


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/api/v1/units/33")
    text = client.get("/metrics").text
    assert 'route="/api/v1/units/{code}"' in text
    assert "lienthong_http_request_seconds_bucket" in text


def test_openapi_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/units/{code}" in paths and "/api/v1/organisations" in paths


@pytest.mark.parametrize("token", [None, "", "changeme", "short"])
def test_production_refuses_unsafe_operator_token(tmp_path: Path, token: str | None) -> None:
    settings = Settings(environment="production", data_dir=tmp_path, operator_token=token)
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings)
    assert caught.value.code == "unsafe-operator-token"


def test_development_generates_a_private_token_file(tmp_path: Path) -> None:
    settings = Settings(environment="development", data_dir=tmp_path, operator_token=None)
    create_app(settings)
    path = settings.operator_token_file
    assert len(path.read_text().strip()) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # the same token is reused on the next start
    before = path.read_text()
    create_app(settings)
    assert path.read_text() == before


def test_embedded_default_upgrades_itself_on_start(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path, operator_token="x" * 32)
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/api/v1/units/33").json()["unit"]["name"] == "Hưng Yên"
    assert (tmp_path / "lienthong.db").exists()
