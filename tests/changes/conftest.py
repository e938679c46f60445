"""Change-event fixtures: citizens ingested through the real pipeline, a consumer system with
an approved grant (province 33, two fields), and a webhook receiver on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lienthong.changes.worker import run
from lienthong.config import Settings
from lienthong.ingest.service import IngestRequest, ingest_file
from tests.changes.receiver import Received, receiver
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.ingest.factories import citizen_row, register_system, write_citizens
from tests.registry.factories import make_org

OUTSIDE = "00004"  # a Hà Nội commune: outside a grant for province 33
GRANTED = ["personal_id", "full_name"]


def ingest(engine: Engine, settings: Settings, path: Path, rows: list[dict[str, str]]) -> None:
    write_citizens(path, rows)
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.02/hoso"),
    )
    assert batch.rows_loaded == len(rows), batch.report


def citizens(n: int, **changes: str) -> list[dict[str, str]]:
    return [citizen_row(i, **changes) for i in range(1, n + 1)]


@dataclass(frozen=True)
class Consumer:
    headers: dict[str, str]  # the system's access token
    grant: int


@pytest.fixture
def consumer(
    client: TestClient, operator: dict[str, str], engine: Engine, settings: Settings
) -> Consumer:
    """A consumer system with an approved grant on citizen (province 33, two fields)."""
    register_system(engine, settings)
    make_org(client, operator, "H33.01")
    token = get_token(client, make_consumer(client, operator, "H33.05", "portal"))
    grant = request_grant(client, token, fields=GRANTED)
    approve(client, operator, grant["id"])
    return Consumer(token, int(grant["id"]))


def subscribe(client: TestClient, consumer: Consumer, **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/subscriptions",
        json={"dataset": "citizen", "purpose": "public-service", "from_position": 0} | body,
        headers=consumer.headers,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def deliver(engine: Engine, settings: Settings, **options: Any) -> Any:
    return run(engine, settings, stop=threading.Event(), once=True, interval=0.01, **options)


@dataclass
class Feed:
    """The consumer subscribed from position 0 by webhook to a receiver on 127.0.0.1 (which
    knows the signing secret), and the real ingest and delivery that feed it."""

    engine: Engine
    settings: Settings
    folder: Path
    consumer: Consumer
    box: Received
    created: dict[str, Any]  # the subscription as created (its secret is shown only then)
    files: int = 0

    def ingest(self, rows: list[dict[str, str]]) -> None:
        self.files += 1
        ingest(self.engine, self.settings, self.folder / f"{self.files}.csv", rows)

    def deliver(self, **options: Any) -> Any:
        return deliver(self.engine, self.settings, **options)


@pytest.fixture
def feed(
    client: TestClient, engine: Engine, settings: Settings, consumer: Consumer, tmp_path: Path
) -> Iterator[Feed]:
    with receiver() as (url, box):
        created = subscribe(client, consumer, webhook_url=url)
        box.secret = created["secret"]
        yield Feed(engine, settings, tmp_path, consumer, box, created)
