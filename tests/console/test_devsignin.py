"""The development sign-in: on only in development with LIENTHONG_DEV_SIGNIN; one click signs
in as a sample person holding their roles, audited as ``signin.development``; every page says
"Đăng nhập phát triển"; refused without its form token, refused (404) when off, and the
platform refuses to start with it outside development."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.audit.service import operator_actor
from lienthong.config import Environment, Settings
from lienthong.db import transaction
from lienthong.errors import ConfigurationError
from lienthong.preflight import refuse_unsafe
from lienthong.registry import organisations
from lienthong.registry.schemas import Level, OrganisationCreate
from lienthong.web.app import create_app

MARK = "Đăng nhập phát triển"


@pytest.fixture
def dev(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    on = settings.model_copy(update={"environment": Environment.development, "dev_signin": True})
    with transaction(engine) as session:
        organisations.create_organisation(
            session=session,
            settings=settings,
            actor=operator_actor(),
            data=OrganisationCreate(
                code="H33.CA", name="Công an tỉnh Hưng Yên", level=Level.province,
                unit_code="33", sector="population",
            ),
        )  # fmt: skip
    app = create_app(on, engine=engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def _token(page: str) -> str:
    return page.split('name="token" value="', 1)[1].split('"', 1)[0]


def test_one_click_signs_in_as_a_sample_person(dev: TestClient, engine: Engine) -> None:
    welcome = dev.get("/console/welcome")
    assert welcome.status_code == 200 and MARK in welcome.text
    assert 'value="can-bo-ca"' in welcome.text and "H33.CA" in welcome.text
    signed = dev.post(
        "/console/welcome/development",
        data={"token": _token(welcome.text), "as": "can-bo-ca", "next": "/console/upload"},
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/console/upload"
    assert "HttpOnly" in signed.headers["set-cookie"]
    upload = dev.get("/console/upload")
    assert upload.status_code == 200 and MARK in upload.text  # marked on every page
    assert "Lê Văn Cán" in upload.text
    with engine.connect() as conn:
        bodies = [json.loads(b) for (b,) in conn.execute(text("SELECT body FROM audit_entries"))]
    done = [b for b in bodies if b["action"] == "signin.development"]
    assert (
        done and done[-1]["subject"] == "can-bo-ca" and "data-steward@H33.CA" in done[-1]["roles"]
    )
    assert any(b["action"] == "signin.signed-in" for b in bodies)


def test_without_the_page_token_or_as_nobody_it_is_refused(dev: TestClient) -> None:
    welcome = dev.get("/console/welcome")
    forged = dev.post("/console/welcome/development", data={"token": "forged", "as": "van-hanh"})
    assert forged.status_code == 403 and "__Host-lienthong-session" not in forged.headers.get(
        "set-cookie", ""
    )
    nobody = dev.post(
        "/console/welcome/development", data={"token": _token(welcome.text), "as": "nobody"}
    )
    assert nobody.status_code == 404 and "dev-signin-off" in nobody.text


def test_off_unless_development_and_the_setting(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine=engine)  # the suite's test environment, setting unset
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        welcome = client.get("/console/welcome")
        assert MARK not in welcome.text and 'name="token"' not in welcome.text
        client.cookies.set("__Host-lienthong-presession", "t")
        off = client.post("/console/welcome/development", data={"token": "t", "as": "van-hanh"})
        assert off.status_code == 404 and "dev-signin-off" in off.text
    production = settings.model_copy(
        update={"environment": Environment.production, "dev_signin": True}
    )
    with pytest.raises(ConfigurationError) as refused:
        refuse_unsafe(production)
    assert refused.value.code == "unsafe-dev-signin"
    with pytest.raises(ConfigurationError):
        refuse_unsafe(settings.model_copy(update={"dev_signin": True}))  # "test" is not either
