"""The platform under uvicorn and a real OpenID provider beside it, both on 127.0.0.1, for one
test: the provider knows the platform's callback, the platform trusts the provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from tests.signin.harness import Provider, Served, free_port, provider, serve, signin_settings
from tests.signin.people import World, world


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def idp(tmp_path: Path, app_port: int) -> Iterator[Provider]:
    with provider(tmp_path, f"http://127.0.0.1:{app_port}") as running:
        yield running


@pytest.fixture
def platform(settings: Settings, engine: Engine, idp: Provider, app_port: int) -> Iterator[Served]:
    url = f"http://127.0.0.1:{app_port}"
    with serve(signin_settings(settings, url, idp.issuer), engine, app_port) as served:
        yield served


@pytest.fixture(scope="module")
def people(
    settings: Settings, prepared_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One provider, platform and database for a whole module of signed-in persons."""
    with world(settings, prepared_engine, tmp_path_factory.mktemp("idp")) as made:
        yield made
