"""The console over real HTTP through the ASGI app (https, so that the ``__Host-`` cookies
travel), on the suite's real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.web.app import create_app


@pytest.fixture
def web(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings, engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client
