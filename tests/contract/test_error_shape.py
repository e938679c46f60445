"""Every error path answers with the one shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.db import make_engine
from lienthong.prepare import prepare_database
from lienthong.web.app import create_app
from tests.conftest import new_database
from tests.exchange.factories import get_token, make_consumer
from tests.forwarder import Forwarder
from tests.registry.factories import make_org, make_system

ORG = {"code": "H33", "name": "Sở Y tế", "level": "province", "unit_code": "33"}


def assert_error_shape(
    response: Any,
    status: int,
    code: str,
    field: str | None = None,
    detail_code: str | None = None,
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == {"field", "code", "message"}
    if field is not None:
        assert field in [d["field"] for d in error["details"]]
    if detail_code is not None:
        assert detail_code in [d["code"] for d in error["details"]]


def _cases(operator: dict[str, str]) -> list[tuple[str, str, dict[str, Any], int, str, str | None]]:
    csv = {"content": b"code,name\nA,B\n", "headers": operator | {"content-type": "text/csv"}}
    return [
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG, "headers": operator},
            409,
            "organisation-exists",
            "code",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG | {"code": "h-33"}, "headers": operator},
            422,
            "validation-failed",
            "code",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG | {"code": "X1", "unit_code": "99999"}, "headers": operator},
            422,
            "validation-failed",
            "unit_code",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": {"code": "X2"}, "headers": operator},
            422,
            "validation-failed",
            "name",
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"content": b"{not json", "headers": operator | {"content-type": "application/json"}},
            422,
            "validation-failed",
            None,
        ),
        ("POST", "/api/v1/organisations", {"json": ORG}, 401, "missing-token", None),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG, "headers": {"Authorization": "Bearer wrong-token-wrong-token-wrong"}},
            401,
            "invalid-token",
            None,
        ),
        (
            "POST",
            "/api/v1/organisations",
            {"json": ORG, "headers": {"Authorization": "Basic x"}},
            401,
            "missing-token",
            None,
        ),
        ("GET", "/api/v1/organisations/NOPE", {"headers": operator}, 404, "not-found", None),
        (
            "GET",
            "/api/v1/organisations/H33/systems/nope",
            {"headers": operator},
            404,
            "not-found",
            None,
        ),
        ("GET", "/api/v1/units/99999", {}, 404, "not-found", None),
        (
            "GET",
            "/api/v1/units/33",
            {"params": {"version": "1999"}},
            422,
            "validation-failed",
            "version",
        ),
        (
            "GET",
            "/api/v1/units/33",
            {"params": {"date": "yesterday"}},
            422,
            "validation-failed",
            "date",
        ),
        (
            "GET",
            "/api/v1/units",
            {"params": {"q": "ha", "cursor": "!!"}},
            422,
            "validation-failed",
            "cursor",
        ),
        (
            "GET",
            "/api/v1/units",
            {"params": {"q": "ha", "limit": 0}},
            422,
            "validation-failed",
            "limit",
        ),
        ("GET", "/api/v1/no-such-path", {}, 404, "not-found", None),
        ("DELETE", "/api/v1/organisations", {}, 405, "method-not-allowed", None),
        (
            "POST",
            "/api/v1/organisations/H33/systems",
            {"json": {"code": "his", "name": "x"}, "headers": operator},
            409,
            "system-exists",
            "code",
        ),
        ("POST", "/api/v1/organisations/import", csv, 422, "validation-failed", "level"),
        (
            "POST",
            "/api/v1/organisations",
            {
                "content": b"x" * 2_000_000,
                "headers": operator | {"content-type": "application/json"},
            },
            413,
            "payload-too-large",
            None,
        ),
        (
            "GET",
            "/api/v1/reports/connections",
            {"params": {"province": "99"}, "headers": operator},
            422,
            "validation-failed",
            "province",
        ),
    ]


def test_every_error_path_has_the_one_shape(client: TestClient, operator: dict[str, str]) -> None:
    make_org(client, operator, "H33")
    make_system(client, operator, "H33", "his")
    for method, path, kwargs, status, code, field in _cases(operator):
        response = client.request(method, path, **kwargs)
        assert_error_shape(response, status, code, field)


def test_streamed_body_over_limit_is_413(client: TestClient, operator: dict[str, str]) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/api/v1/organisations",
        content=chunks(),
        headers=operator | {"content-type": "application/json"},
    )
    assert_error_shape(response, 413, "payload-too-large")


def _management_operations(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the OpenAPI document marks as needing the operator token."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if any("operator" in requirement for requirement in operation.get("security", [])):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "X", path)))
    return found


def test_every_management_endpoint_refuses_without_operator_token(
    settings: Settings, engine: Engine
) -> None:
    # More operations than one address may have refused in a window: the limit is off here.
    unlimited = settings.model_copy(update={"source_refusal_limit": 0})
    with TestClient(create_app(unlimited, engine=engine)) as client:
        operations = _management_operations(client)
        assert len(operations) >= 10
        for method, path in operations:
            assert_error_shape(client.request(method, path, json={}), 401, "missing-token")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"])
def test_service_endpoints_answer(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


Case = tuple[str, str, dict[str, Any], int, str, str | None, str | None]
CSV = {"content-type": "text/csv"}
UNSUPPORTED_TYPE = {
    "name": "broken",
    "fields": [{"name": "a", "type": "blob"}],
    "primaryKey": "a",
    "lienthong:areaField": "a",
}


def _ingest_and_standards_cases(operator: dict[str, str]) -> list[Case]:
    upload = {"content": b"personal_id\n1\n", "headers": operator | CSV}
    return [
        (
            "POST",
            "/api/v1/ingest/nope",
            upload | {"params": {"system": "H33.02/hoso"}},
            404,
            "unknown-standard",
            None,
            None,
        ),
        (
            "POST",
            "/api/v1/ingest/citizen/check",
            {"headers": operator | CSV},
            422,
            "empty-file",
            "file",
            "empty-file",
        ),
        (
            "POST",
            "/api/v1/ingest/citizen/check",
            {"files": {"mapping": (None, b"{}")}, "headers": operator},
            422,
            "validation-failed",
            "file",
            "missing-file",
        ),
        (
            "POST",
            "/api/v1/ingest/citizen/check",
            upload | {"params": {"format": "docx"}},
            422,
            "unsupported-format",
            None,
            "unsupported-format",
        ),
        (
            "GET",
            "/api/v1/ingest/batches/999999",
            {"headers": operator},
            404,
            "unknown-batch",
            None,
            None,
        ),
        ("GET", "/api/v1/standards/nope", {}, 404, "unknown-standard", None, None),
        (
            "POST",
            "/api/v1/standards",
            {"json": UNSUPPORTED_TYPE, "headers": operator},
            422,
            "invalid-standard",
            "fields.0.type",
            "unsupported-type",
        ),
        (
            "POST",
            "/api/v1/standards",
            {"json": UNSUPPORTED_TYPE | {"version": 0}, "headers": operator},
            422,
            "invalid-standard",
            "version",
            "invalid-version",
        ),
        (
            "POST",
            "/api/v1/standards/citizen/1/publish",
            {"headers": operator},
            409,
            "standard-immutable",
            None,
            None,
        ),
        ("GET", "/api/v1/codelists/nope", {}, 404, "unknown-codelist", None, None),
    ]


def test_ingest_and_standards_errors_have_the_one_shape(
    client: TestClient, operator: dict[str, str]
) -> None:
    for method, path, kwargs, status, code, field, detail in _ingest_and_standards_cases(operator):
        response = client.request(method, path, **kwargs)
        assert_error_shape(response, status, code, field, detail)


def test_exchange_errors_have_the_one_shape(client: TestClient, operator: dict[str, str]) -> None:
    consumer = make_consumer(client, operator)
    token = get_token(client, consumer)
    purpose = {"X-Purpose": "public-service"}
    # /oauth/token refuses in the OAuth shape instead (tests/security/test_tokens.py).
    cases: list[Case] = [
        ("GET", "/api/v1/data/citizen/001090000001", {}, 401, "missing-token", None, None),
        (
            "GET",
            "/api/v1/data/citizen/001090000001",
            {"headers": token},
            400,
            "purpose-required",
            None,
            None,
        ),
        (
            "GET",
            "/api/v1/data/citizen/001090000001",
            {"headers": token | purpose},
            403,
            "no-grant",
            None,
            None,
        ),
        ("GET", "/api/v1/data/citizen", {"headers": token | purpose}, 403, "no-grant", None, None),
        ("GET", "/api/v1/grants/999999", {"headers": operator}, 404, "unknown-grant", None, None),
        (
            "POST",
            "/api/v1/grants",
            {
                "json": {
                    "dataset": "citizen",
                    "fields": ["no_such_field"],
                    "units": ["33"],
                    "purposes": ["public-service"],
                    "expires_on": "2999-01-01",
                },
                "headers": token,
            },
            422,
            "validation-failed",
            "fields",
            "unknown-field",
        ),
        (
            "POST",
            "/api/v1/grants",
            {"json": {"dataset": "citizen"}, "headers": operator},
            422,
            "validation-failed",
            None,
            None,
        ),
    ]
    for method, path, kwargs, status, code, field, detail in cases:
        response = client.request(method, path, **kwargs)
        assert_error_shape(response, status, code, field, detail)


def test_readyz_answers_an_unreachable_database_in_the_one_shape(
    settings: Settings, backend: str, engine: Engine
) -> None:
    if backend != "postgresql":
        pytest.skip("an unreachable database server is a PostgreSQL situation")
    url = urlsplit(settings.resolved_database_url)
    relay = Forwarder((url.hostname or "127.0.0.1", url.port or 5432))
    netloc = url.netloc.replace(f"{url.hostname}:{url.port}", f"127.0.0.1:{relay.port}")
    through = settings.model_copy(update={"database_url": url._replace(netloc=netloc).geturl()})
    try:
        with TestClient(create_app(through)) as client:
            assert client.get("/readyz").status_code == 200
            relay.cut()
            assert_error_shape(client.get("/readyz"), 503, "database-unavailable")
    finally:
        relay.cut()


def test_readyz_answers_pending_migrations_in_the_one_shape(
    settings: Settings, backend: str, tmp_path: Path
) -> None:
    with new_database(backend, tmp_path) as url:
        behind = settings.model_copy(update={"database_url": url})
        engine = make_engine(behind)
        try:
            prepare_database(engine)
            with engine.begin() as conn:  # a database one migration head behind the code
                head = conn.execute(text("SELECT min(version_num) FROM alembic_version")).scalar()
                conn.execute(
                    text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": head}
                )
            with TestClient(create_app(behind, engine=engine)) as client:
                response = client.get("/readyz")
            assert_error_shape(response, 503, "schema-out-of-date", None, "pending-migration")
            assert [d["message"] for d in response.json()["error"]["details"]] == [head]
        finally:
            engine.dispose()
