"""Alert events reach the SIEM: the alert store audits each alert it opens (``alert.open``, in
its own transaction), and the forwarder sends that entry to a real receiver on 127.0.0.1 as an
alert (facility 14, SD-ID ``alert@PEN`` with its chain place), the ECS export as an
``event.kind: alert`` document. An occurrence of a live alert and a suppressed finding open
nothing and are not sent as alerts."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlalchemy import Engine, select
from syslog_rfc5424_parser import SyslogMessage

from lienthong.audit.models import AuditEntry
from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.soc.alerts.schemas import SuppressionCreate
from lienthong.soc.alerts.service import suppress
from lienthong.soc.siem.export import Entry, Origin, render
from lienthong.soc.siem.forwarder import Forwarder
from lienthong.soc.siem.transport import Target
from tests.soc.alerts.factories import NOON, finding, store
from tests.soc.siem.receiver import Receiver

ALERT_SD = "alert@32473"


def _entries(engine: Engine) -> list[Entry]:
    with engine.connect() as conn:
        t = AuditEntry.__table__
        rows = conn.execute(select(t.c.seq, t.c.body, t.c.hash).order_by(t.c.seq))
        return [Entry(int(s), b, h) for s, b, h in rows]


def _opened(engine: Engine) -> list[Entry]:
    return [e for e in _entries(engine) if json.loads(e.body)["action"] == "alert.open"]


def test_an_opened_alert_is_audited_once_and_forwarded_as_an_alert(
    engine: Engine, settings: Settings, receiver: Receiver
) -> None:
    [first] = store(engine, settings, finding([3, 4], severity="critical"))
    store(engine, settings, finding([5], minutes=1))  # an occurrence of the same alert
    [other] = store(engine, settings, finding([6], group="source=10.0.0.9", severity="low"))
    opened = _opened(engine)
    assert [json.loads(e.body)["detail"]["alert"]["id"] for e in opened] == [first, other]
    body = json.loads(opened[0].body)
    assert body["actor"] == {"kind": "platform", "via": "monitoring"}
    assert body["detail"]["alert"]["audit_seqs"] == [3, 4]
    assert body["detail"]["alert"]["severity"] == "critical"

    forwarder = Forwarder(
        engine, Target.parse(f"tcp://127.0.0.1:{receiver.port}"), Origin("lienthong-test"),
        backoff_min=0.05, backoff_max=0.2, poll=0.05,
    )  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=forwarder.run, args=(stop,), kwargs={"until": lambda: True})
    thread.start()
    thread.join(60)
    stop.set()
    total = len(_entries(engine))
    assert receiver.wait_for(lambda m: len(m) >= total)
    parsed = [SyslogMessage.parse(m.decode("utf-8")) for m in receiver.messages]
    alerts = [p for p in parsed if p.msgid == "alert"]
    assert len(alerts) == 2 and len(parsed) == total  # every entry, the two alerts as alerts
    critical = alerts[0]
    assert int(critical.facility) == 14 and int(critical.severity) == 2  # log alert, critical
    sd = critical.sd[ALERT_SD]
    assert (int(sd["seq"]), sd["hash"]) == (opened[0].seq, opened[0].hash)
    assert sd["id"] == str(first) and sd["rule"] == "credential-stuffing"

    document = json.loads(render(opened[1], "ecs", Origin("h")))
    assert document["event"]["kind"] == "alert"
    assert document["event"]["sequence"] == opened[1].seq
    assert document["log"]["level"] == "low"
    assert document["lienthong"]["alert"]["group_key"] == "source=10.0.0.9"


def test_a_suppressed_finding_opens_no_alert_entry(engine: Engine, settings: Settings) -> None:
    window = SuppressionCreate(
        rule_id="credential-stuffing",
        group_pattern="source=10.0.*",
        starts_at=NOON - timedelta(hours=1),
        ends_at=NOON + timedelta(hours=1),
        reason="kiểm thử xâm nhập được phép",
    )
    with transaction(engine) as session:
        suppress(session=session, settings=settings, data=window, actor={"kind": "operator"})
    store(engine, settings, finding([1]))
    assert _opened(engine) == []
