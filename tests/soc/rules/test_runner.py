"""The runner over the real audit log written by the real application: attacks made through
HTTP are detected, the generated shapes match what the platform writes, the position moves
only after the sink accepts (at least once), and the chain watch names a tampered entry."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from lienthong.soc.detection import Detection
from lienthong.soc.rules.runner import ChainWatch, RulesRunner
from tests.exchange.factories import approve, get_token, make_consumer, request_grant
from tests.registry.factories import make_org
from tests.soc.rules import traffic as tr

PURPOSE = {"X-Purpose": "public-service"}


class Sink:
    def __init__(self, fail: int = 0) -> None:
        self.got: list[Detection] = []
        self.fail = fail

    def __call__(self, found: Sequence[Detection]) -> None:
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the alert store is down")
        self.got.extend(found)


def _bodies(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [json.loads(b) for (b,) in conn.execute(text("SELECT body FROM audit_entries"))]


def _attack(client: TestClient, operator: dict[str, str], citizens: list[str]) -> dict[str, str]:
    make_org(client, operator, "H33.01")
    consumer = make_consumer(client, operator, "H33.05", "portal")
    token = get_token(client, consumer)
    grant = request_grant(client, token, fields=["personal_id", "full_name"])
    approve(client, operator, grant["id"])
    assert client.get(f"/api/v1/data/citizen/{citizens[0]}", headers=token | PURPOSE).is_success
    for n in range(12):  # credential stuffing: many client ids from one address
        form = {"grant_type": "client_credentials", "client_id": f"ltc_{n}", "client_secret": "x"}
        assert client.post("/oauth/token", data=form).status_code == 401
    assert client.post(
        f"/api/v1/grants/{grant['id']}/suspend", json={"reason": "leak"}, headers=operator
    ).is_success
    for _ in range(20):  # a suspended consumer still trying
        answer = client.get(f"/api/v1/data/citizen/{citizens[0]}", headers=token | PURPOSE)
        assert answer.status_code == 403
    _settled(client.app.state.engine, "grant-suspended", 20)  # type: ignore[attr-defined]
    return consumer


def _settled(engine: Engine, outcome: str, count: int) -> None:
    """Wait until the refusals are in the log: they are written after the answer is sent."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(b["outcome"] == outcome for b in _bodies(engine)) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} {outcome} entries")


def test_attacks_through_http_are_detected_from_the_real_log(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    consumer = _attack(client, operator, citizens)
    sink = Sink()
    runner = RulesRunner(engine, sink, batch=7)  # several steps
    while runner.run_once():
        pass
    found = {(d.rule_id, d.group_key) for d in sink.got}
    assert ("credential-stuffing", "ip=testclient") in found
    assert ("suspended-still-trying", f"_client={consumer['client_id']}") in found
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_entries")).scalar()
        position = conn.execute(text("SELECT seq FROM soc_positions WHERE name = 'rules'")).scalar()
    assert position == last


def _shape(body: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in body.items():
        if key in {"_t", "seq", "at"}:
            continue
        keys.add(prefix + key)
        if isinstance(value, dict):
            keys |= _shape(value, f"{prefix}{key}.")
    return keys


def test_generated_bodies_have_the_shape_the_platform_writes(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    _attack(client, operator, citizens)
    real: dict[tuple[str, str], set[str]] = {}
    for body in _bodies(engine):
        real.setdefault((body["action"], body["outcome"]), _shape(body))
    rng = random.Random(1)
    [s] = tr.systems(1, rng)
    generated = [
        tr.read(s, 0, 1, rng),
        tr.token(s, 0),
        tr.refused_token("ltc_x", "1.2.3.4", 0),
        tr.denied(s, 0, "grant-suspended", "1.2.3.4"),
        tr.grant("grant.request", s, 0, ["personal_id"], 1),
        tr.grant("grant.approve", s, 0, ["personal_id"], 1),
        tr.batch(s, 0, 10, 1),
    ]
    for body in generated:
        assert _shape(body) == real[(body["action"], body["outcome"])], body["action"]


def test_the_position_moves_only_after_the_sink_accepts(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    _attack(client, operator, citizens)
    sink = Sink(fail=1)
    runner = RulesRunner(engine, sink)
    with pytest.raises(RuntimeError):
        runner.run_once()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM soc_positions")).scalar() == 0
    assert runner.run_once() > 0  # the same entries again, now accepted
    rules = [d.rule_id for d in sink.got]
    assert rules.count("credential-stuffing") == 1 and "suspended-still-trying" in rules
    restarted = RulesRunner(engine, sink)  # a new process resumes after the position
    assert restarted.run_once() == 0


def test_a_disabled_rule_raises_nothing(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    _attack(client, operator, citizens)
    answer = client.post("/api/v1/soc/rules/credential-stuffing/disable", headers=operator)
    assert answer.status_code == 200 and answer.json()["enabled"] is False
    sink = Sink()
    RulesRunner(engine, sink).run_once()
    assert "credential-stuffing" not in {d.rule_id for d in sink.got}
    assert "suspended-still-trying" in {d.rule_id for d in sink.got}


def test_the_chain_watch_names_the_first_tampered_entry(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    _attack(client, operator, citizens)
    sink = Sink()
    watch = ChainWatch(engine, sink, batch=10)
    while watch.run_once():
        pass
    assert sink.got == []  # intact
    for n in range(3):  # new entries after the verified part
        client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": f"more{n}",
                "client_secret": "x",
            },
        )
    with engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_entries")).scalar()
        body = conn.execute(
            text("SELECT body FROM audit_entries WHERE seq = :s"), {"s": last - 1}
        ).scalar()
        conn.execute(
            text("UPDATE audit_entries SET body = :b WHERE seq = :s"),
            {"b": body.replace("more1", "mor31"), "s": last - 1},
        )
    while watch.run_once():
        pass
    [broken] = sink.got
    assert broken.rule_id == "audit-chain-broken" and broken.severity == "critical"
    assert broken.audit_seqs == (last - 1,)
    assert broken.summary["problem"] == "hash-mismatch"
    watch.run_once()
    assert len(sink.got) == 1  # said once


def test_the_chain_watch_sees_a_verified_entry_altered_later(
    client: TestClient, operator: dict[str, str], engine: Engine, citizens: list[str]
) -> None:
    _attack(client, operator, citizens)
    sink = Sink()
    watch = ChainWatch(engine, sink)
    watch.run_once()
    with engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_entries")).scalar()
        conn.execute(
            text("UPDATE audit_entries SET hash = :h WHERE seq = :s"), {"h": "f" * 64, "s": last}
        )
    watch.run_once()
    assert [d.audit_seqs for d in sink.got] == [(last,)]
