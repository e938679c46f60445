"""An anonymous flood costs the audit log a bounded number of small entries."""

from __future__ import annotations

import hashlib
import json
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.config import Settings
from lienthong.events import event
from lienthong.web.app import create_app
from tests.contract.test_error_shape import assert_error_shape

BAD = {"Authorization": "Bearer not.a.token", "X-Purpose": "public-service"}
READ = "/api/v1/data/citizen/033090000001"


def stored(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [b for (b,) in conn.execute(text("SELECT body FROM audit_entries ORDER BY seq"))]


def stored_soon(engine: Engine, count: int) -> list[str]:
    """The entries once ``count`` are there (a refused read's entry is written after the answer)."""
    deadline = time.monotonic() + 10
    while len(found := stored(engine)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_a_header_over_the_limit_is_refused_with_431_and_audited_small(
    client: TestClient, engine: Engine
) -> None:
    huge = BAD | {"X-Purpose": "x" * 4_000_000}
    assert_error_shape(client.get(READ, headers=huge), 431, "headers-too-large")
    many = {f"X-Filler-{n}": "y" * 4000 for n in range(10)}  # each small, 40 kB together
    assert_error_shape(client.get("/healthz", headers=many), 431, "headers-too-large")
    bodies = stored(engine)
    assert [json.loads(b)["outcome"] for b in bodies] == ["headers-too-large"] * 2
    assert max(len(b) for b in bodies) < 1000


def test_long_values_are_stored_truncated_with_a_hash_of_the_whole() -> None:
    whole = "mục đích " * 500
    entry = event("data.denied", actor={"kind": "anonymous"}, purpose=whole, detail={"x": whole})
    digest = hashlib.sha256(whole.encode()).hexdigest()
    for value in (entry["purpose"], entry["detail"]["x"]):
        assert len(value) < 400 and value.startswith(whole[:100]) and digest in value
    assert event("a", actor={}, purpose="short")["purpose"] == "short"


def test_a_long_purpose_on_a_refused_read_is_stored_bounded(
    client: TestClient, engine: Engine
) -> None:
    response = client.get(READ, headers=BAD | {"X-Purpose": "p" * 6000})
    assert response.status_code == 401
    [body] = stored_soon(engine, 1)
    assert len(body) < 1000 and hashlib.sha256(b"p" * 6000).hexdigest() in body


def test_a_flood_of_bad_tokens_is_limited_per_address_and_audited_in_aggregate(
    settings: Settings, engine: Engine
) -> None:
    custom = Settings(**settings.model_dump() | {"source_refusal_limit": 10})
    with TestClient(create_app(custom, engine=engine)) as limited:
        answers = [limited.get(READ, headers=BAD) for _ in range(200)]
        other = TestClient(limited.app, client=("192.0.2.7", 4000))
        assert other.get(READ, headers=BAD).status_code == 401  # another address: not limited
    # Leaving the block shut the server down, which wrote the open window's aggregate.
    assert [a.status_code for a in answers] == [401] * 10 + [429] * 190
    assert_error_shape(answers[-1], 429, "rate-limited")
    assert int(answers[-1].headers["Retry-After"]) >= 1
    entries = [json.loads(b) for b in stored(engine)]
    assert [e["action"] for e in entries].count("data.denied") == 11
    [aggregate] = [e for e in entries if e["action"] == "source.limited"]
    assert (aggregate["ip"], aggregate["count"]) == ("testclient", 190)
    assert sum(len(b) for b in stored(engine)) < 20_000


def test_the_aggregate_is_written_when_the_window_ends(settings: Settings, engine: Engine) -> None:
    custom = Settings(
        **settings.model_dump() | {"source_refusal_limit": 2, "source_refusal_window_seconds": 3}
    )
    with TestClient(create_app(custom, engine=engine)) as client:
        codes = [client.get(READ, headers=BAD).status_code for _ in range(5)]
        time.sleep(4)  # the window (3 s: room for a loaded machine) has ended
        actions = [json.loads(b)["action"] for b in stored(engine)]
        assert codes == [401, 401, 429, 429, 429]
        assert actions.count("source.limited") == 1
        assert client.get(READ, headers=BAD).status_code == 401  # a new window: served again
    [aggregate] = [json.loads(b) for b in stored(engine) if '"source.limited"' in b]
    assert aggregate["count"] == 3
