"""The forwarder against a real receiver on 127.0.0.1: every entry arrives, in order, through
a receiver that stops mid-stream and comes back, over TCP and over TLS; a restarted forwarder
carries on from its position. Messages are read with syslog-rfc5424-parser."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from syslog_rfc5424_parser import SyslogMessage

from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from lienthong.soc.siem.export import Origin
from lienthong.soc.siem.forwarder import Forwarder
from lienthong.soc.siem.syslog import BOM
from lienthong.soc.siem.transport import Target
from tests.soc.siem.conftest import append_entries, make_pki
from tests.soc.siem.receiver import Receiver

SD = "audit@32473"


def _seqs(messages: list[bytes]) -> list[int]:
    return [int(SyslogMessage.parse(m.decode("utf-8")).sd[SD]["seq"]) for m in messages]


def _forwarder(engine: Engine, target: str, **more: object) -> Forwarder:
    return Forwarder(
        engine,
        Target.parse(target),
        Origin("lienthong-test"),
        backoff_min=0.05,
        backoff_max=0.2,
        poll=0.05,
        **more,  # type: ignore[arg-type]
    )


def _run_until_caught_up(forwarder: Forwarder, timeout: float = 60) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=forwarder.run, args=(stop,), kwargs={"until": lambda: True})
    thread.start()
    thread.join(timeout)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_every_entry_arrives_in_order_and_as_the_chain_holds_it(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    seqs = append_entries(engine, settings, 40)
    forwarder = _forwarder(engine, f"tcp://127.0.0.1:{receiver.port}", batch=15)
    _run_until_caught_up(forwarder)
    assert receiver.wait_for(lambda m: len(m) >= 40)
    assert _seqs(receiver.messages) == seqs
    assert forwarder.position() == seqs[-1]
    first = SyslogMessage.parse(receiver.messages[0].decode())
    with engine.connect() as conn:
        stored = conn.execute(select(AuditEntry.hash).where(AuditEntry.seq == seqs[0])).scalar()
    body = json.loads(first.msg.removeprefix(BOM))
    assert body["event"]["sequence"] == seqs[0]
    assert first.sd[SD]["hash"] == body["event"]["hash"] == stored
    assert body["event"]["outcome"] == "failure" and body["source"]["ip"] == "10.0.0.1"
    assert first.appname == "lienthong" and first.hostname == "lienthong-test"
    assert first.msgid == "auth.token" and first.facility.value == 13


def test_a_receiver_stopped_mid_stream_loses_nothing(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    seqs = append_entries(engine, settings, 600)
    receiver.stop_after = 150
    forwarder = _forwarder(engine, f"tcp://127.0.0.1:{receiver.port}", batch=40)
    stop = threading.Event()
    thread = threading.Thread(target=forwarder.run, args=(stop,), kwargs={"until": lambda: True})
    thread.start()
    assert receiver.stopped.wait(30)
    stopped_at = forwarder.position()
    assert stopped_at < seqs[-1]  # it really stopped mid-stream
    threading.Event().wait(0.5)  # down for a while: the forwarder retries with backoff
    receiver.start()  # the same port
    thread.join(60)
    stop.set()
    assert not thread.is_alive()
    got = _seqs(receiver.messages)
    assert set(got) == set(seqs)
    firsts = list(dict.fromkeys(got))
    assert firsts == sorted(firsts)  # in order
    assert len(got) - len(seqs) <= 2 * 40  # at most the tail and the last batch again
    assert forwarder.position() == seqs[-1]


def test_a_restarted_forwarder_carries_on_from_its_position(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    first = append_entries(engine, settings, 30)
    _run_until_caught_up(_forwarder(engine, f"tcp://127.0.0.1:{receiver.port}", batch=7))
    assert receiver.wait_for(lambda m: len(m) >= 30)
    more = append_entries(engine, settings, 20)
    _run_until_caught_up(_forwarder(engine, f"tcp://127.0.0.1:{receiver.port}", batch=7))
    assert receiver.wait_for(lambda m: len(m) >= 50)
    assert _seqs(receiver.messages) == first + more  # nothing twice after a clean stop


def test_over_tls_with_a_test_ca(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    ca, context = make_pki(tmp_path, "good")
    receiver = Receiver(context).start()
    try:
        seqs = append_entries(engine, settings, 25)
        forwarder = _forwarder(engine, f"tls://127.0.0.1:{receiver.port}", ca_file=ca, batch=10)
        _run_until_caught_up(forwarder)
        assert receiver.wait_for(lambda m: len(m) >= 25)
        assert _seqs(receiver.messages) == seqs
    finally:
        receiver.stop()


def test_tls_refuses_a_receiver_the_ca_did_not_sign(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    ca, _ = make_pki(tmp_path, "ours")
    _, other = make_pki(tmp_path, "theirs")
    receiver = Receiver(other).start()
    try:
        append_entries(engine, settings, 3)
        forwarder = _forwarder(engine, f"tls://127.0.0.1:{receiver.port}", ca_file=ca)
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
            forwarder.send_batch()
        assert forwarder.position() == 0 and receiver.messages == []
    finally:
        receiver.stop()
