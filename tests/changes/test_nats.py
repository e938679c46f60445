"""Delivery to NATS JetStream (the server on 127.0.0.1:4222): one message per change on the
subscription's subject, in order, with ``Nats-Msg-Id`` so that sending a batch again after a
crash stores nothing twice; read back with nats-py as a consumer would."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import nats
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from lienthong.changes.models import Subscription
from lienthong.changes.nats import stream_name
from lienthong.config import Settings
from lienthong.db import transaction
from tests.changes.conftest import GRANTED, OUTSIDE, Consumer, citizens, deliver, ingest, subscribe
from tests.ingest.factories import citizen_row, personal_id

URL = "nats://127.0.0.1:4222"


async def _stored(subject: str) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    nc = await nats.connect(URL)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream_name(subject))
        sub = await js.pull_subscribe(subject, durable=None)
        got = []
        for _ in range(info.state.messages):
            [msg] = await sub.fetch(1, timeout=5)
            await msg.ack()
            got.append((msg.headers["Nats-Msg-Id"], json.loads(msg.data)))
        return info.state.messages, got
    finally:
        await nc.close()


async def _drop(subject: str) -> None:
    nc = await nats.connect(URL)
    try:
        await nc.jetstream().delete_stream(stream_name(subject))
    finally:
        await nc.close()


def test_changes_are_published_once_per_change_in_order_and_deduplicated(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    consumer: Consumer,
    tmp_path: Path,
) -> None:
    subject = f"lienthong.test.{uuid.uuid4().hex[:12]}.citizen"
    created = subscribe(client, consumer, nats_subject=subject)
    assert created["kind"] == "nats" and created["secret"] is None
    try:
        rows = [*citizens(3), citizen_row(4, commune_code=OUTSIDE)]
        ingest(engine, settings, tmp_path / "a.csv", rows)
        assert deliver(engine, settings).events == 3
        count, messages = asyncio.run(_stored(subject))
        assert count == 3
        events = [body["event"] for _, body in messages]
        assert [e["key"] for e in events] == [personal_id(n) for n in range(1, 4)]
        assert all(set(e["record"]) == set(GRANTED) for e in events)
        assert len({m for m, _ in messages}) == 3

        # A crash after JetStream stored the batch, before the position was recorded: the
        # batch is published again and the stream keeps one copy of each message.
        with transaction(engine) as session:
            session.execute(update(Subscription).values(position=0))
        assert deliver(engine, settings).events == 3
        assert asyncio.run(_stored(subject))[0] == 3
    finally:
        asyncio.run(_drop(subject))
