"""Property-based fuzzing of every operation of the API from its own OpenAPI document.

Schemathesis generates requests from the document (its examples, coverage and fuzzing phases
per operation, then a stateful phase that chains operations through the links it infers) and
sends them over real HTTP to a server on 127.0.0.1 that holds a small world: a provider with
citizens in the store, a consumer system with an approved grant. Every operation runs twice:
with the operator token and with that system's access token (with a declared purpose).

Each response must not be a server error, must have a documented status, and must match the
documented body (the one error shape for every error). The seed is fixed, so CI is
reproducible; ``FUZZ_EXAMPLES=200 FUZZ_STEPS=40 make fuzz`` runs longer (``FUZZ_SEED`` picks
another seed). Select these tests with ``-m fuzz``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
import uvicorn
from fastapi.testclient import TestClient
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, create_engine

from lienthong.config import Settings
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.web.app import create_app
from tests.conftest import OPERATOR_TOKEN, reset_database
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.ingest.factories import citizen_row, register_system, write_citizens
from tests.registry.factories import make_org

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
STEPS = int(os.environ.get("FUZZ_STEPS", "8"))
SEED = int(os.environ.get("FUZZ_SEED", "20250701"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
PURPOSE = {"X-Purpose": "public-service"}


def _document() -> dict[str, Any]:
    """The application's OpenAPI document (building the app touches no database)."""
    settings = Settings(environment="test", operator_token=OPERATOR_TOKEN, data_dir=Path("."))
    return create_app(settings, engine=create_engine("sqlite://")).openapi()


schema = schemathesis.openapi.from_dict(
    _document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES},
            "suppress-health-check": ["all"],
        }
    ),
)


class Tally:
    """What the fuzzing sent and got back, printed at the end of the module."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.operations: set[str] = set()

    def add(self, case: Any, status: int) -> None:
        self.statuses[status] += 1
        self.operations.add(case.operation.label)

    def summary(self) -> str:
        errors = sum(n for s, n in self.statuses.items() if s >= 500)
        return (
            f"fuzz: {len(self.operations)} operations, {sum(self.statuses.values())} requests, "
            f"{errors} server errors; statuses {dict(sorted(self.statuses.items()))}"
        )


def _world(settings: Settings, engine: Engine, tmp_path: Path) -> dict[str, str]:
    """Citizens in the store, and a consumer holding an approved grant on them."""
    register_system(engine, settings)
    ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(
            path=write_citizens(tmp_path / "citizens.csv", [citizen_row(n) for n in range(1, 6)]),
            standard="citizen",
            system="H33.02/hoso",
        ),
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        make_org(client, OPERATOR, "H33.01")
        consumer = make_consumer(client, OPERATOR, "H33.05", "portal")
        approve(client, OPERATOR, request_grant(client, get_token(client, consumer))["id"])
    return consumer


@pytest.fixture(scope="module")
def server(
    settings: Settings, prepared_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The platform served by uvicorn on 127.0.0.1 for this module, then emptied."""
    consumer = _world(settings, prepared_engine, tmp_path_factory.mktemp("fuzz"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    # The fuzzer is one address sending thousands of refused requests on purpose: the
    # per-address limiter (tested in tests/audit/test_flooding.py) would answer it 429.
    unlimited = settings.model_copy(update={"source_refusal_limit": 0})
    app = create_app(unlimited, engine=prepared_engine)
    served = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not served.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    tally = Tally()
    try:
        yield {"url": f"http://127.0.0.1:{port}", "consumer": consumer, "tally": tally}
    finally:
        served.should_exit = True
        thread.join(30)
        print(tally.summary())
        reset_database(prepared_engine)


@pytest.fixture(params=["operator", "system"])
def caller(request: pytest.FixtureRequest, server: dict[str, Any]) -> dict[str, str]:
    """The headers of one caller: the operator, or the consumer system (a fresh token)."""
    if request.param == "operator":
        return OPERATOR
    with httpx.Client(base_url=server["url"]) as client:
        return get_token(client, server["consumer"]) | PURPOSE  # type: ignore[arg-type]


@schema.parametrize()
def test_no_operation_answers_a_server_error_or_an_undocumented_answer(
    case: Any, server: dict[str, Any], caller: dict[str, str]
) -> None:
    response = case.call(base_url=server["url"], headers=caller)
    server["tally"].add(case, response.status_code)
    case.validate_response(response, checks=CHECKS, headers=caller)


def test_chained_operations_answer_no_server_error(
    server: dict[str, Any], caller: dict[str, str]
) -> None:
    """The stateful phase: sequences of calls linked by the identifiers they return."""
    tally: Tally = server["tally"]

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": server["url"], "headers": caller}

        def after_call(self, response: Any, case: Any) -> None:
            tally.add(case, response.status_code)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, headers=caller)

    Machine.run(
        settings=hypothesis.settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
