"""What leaves for the SIEM: audit entries read in order, rendered as ECS JSON lines or as
RFC 5424 syslog messages (the ECS JSON as MSG, the entry's essentials as structured data). The
alert store audits each alert it opens (``alert.open``); those entries leave as alert events
(ECS ``event.kind: alert``, syslog facility 14), with their place in the chain."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, select

from lienthong.audit.models import AuditEntry
from lienthong.soc.siem import ecs
from lienthong.soc.siem.syslog import (
    EXAMPLE_ENTERPRISE,
    FACILITY_LOG_ALERT,
    FACILITY_LOG_AUDIT,
    LEVEL_SEVERITY,
    Message,
)

Format = Literal["ecs", "syslog"]
APP_NAME = "lienthong"


@dataclass(frozen=True)
class Entry:
    seq: int
    body: str
    hash: str

    @property
    def at(self) -> datetime | None:
        stamp = json.loads(self.body).get("at")
        return datetime.fromisoformat(stamp) if isinstance(stamp, str) else None


@dataclass(frozen=True)
class Origin:
    """How our messages name themselves: host and the SD-ID's enterprise number."""

    hostname: str
    enterprise: int = EXAMPLE_ENTERPRISE

    @classmethod
    def here(cls, hostname: str | None = None, enterprise: int | None = None) -> Origin:
        return cls(hostname or socket.gethostname(), enterprise or EXAMPLE_ENTERPRISE)


def entries_after(conn: Connection, after: int, limit: int) -> list[Entry]:
    """At most ``limit`` audit entries after ``after``, in chain order."""
    t = AuditEntry.__table__
    stmt = select(t.c.seq, t.c.body, t.c.hash).where(t.c.seq > after).order_by(t.c.seq)
    return [Entry(int(s), b, h) for s, b, h in conn.execute(stmt.limit(limit))]


def entries_between(
    conn: Connection, since: datetime | None, until: datetime | None, chunk: int = 5000
) -> Iterator[Entry]:
    """Audit entries whose time is in [since, until), in order (read in chunks; entries carry
    their time only in the body, and times rise with seq, so reading stops past ``until``)."""
    after = 0
    while True:
        found = entries_after(conn, after, chunk)
        if not found:
            return
        for entry in found:
            at = entry.at
            if until is not None and at is not None and at >= until:
                return
            if since is None or (at is not None and at >= since):
                yield entry
        after = found[-1].seq


ALERT_OPENED = "alert.open"  # the audit entry the alert store writes when it opens an alert


def alert_of(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The alert an ``alert.open`` entry records (its ``detail.alert``), else None."""
    if body.get("action") != ALERT_OPENED:
        return None
    detail = body.get("detail")
    alert = detail.get("alert") if isinstance(detail, Mapping) else None
    return alert if isinstance(alert, Mapping) else None


def _chained(document: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """An alert's document with the place and hash of the audit entry that recorded it."""
    document["event"] |= {"sequence": entry.seq, "hash": entry.hash}
    return document


def audit_message(entry: Entry, origin: Origin) -> Message:
    """An audit entry as a syslog message; the entry of an opened alert as an alert message."""
    body: Mapping[str, Any] = json.loads(entry.body)
    alert = alert_of(body)
    if alert is not None:
        return alert_message(alert, origin, entry=entry)
    document = ecs.audit_document(entry.seq, body, entry.hash)
    actor = body.get("actor") if isinstance(body.get("actor"), Mapping) else {}
    params = [("seq", str(entry.seq)), ("hash", entry.hash), ("outcome", str(body.get("outcome")))]
    params += [("actor", str(actor.get("kind")))] if actor else []
    return Message(
        facility=FACILITY_LOG_AUDIT,
        severity=6 if body.get("outcome", "ok") == "ok" else 5,
        at=entry.at,
        hostname=origin.hostname,
        app_name=APP_NAME,
        procid=None,
        msgid=str(body.get("action") or ""),
        data={f"audit@{origin.enterprise}": params},
        msg=ecs.json_line(document).rstrip("\n"),
    )


def alert_message(alert: Mapping[str, Any], origin: Origin, entry: Entry | None = None) -> Message:
    """An alert (a Detection's fields with ``id`` and ``status``) as a syslog message; with
    the audit entry that recorded it, that entry's seq and hash too."""
    document = ecs.alert_document(alert)
    if entry is not None:
        document = _chained(document, entry)
    observed = alert["observed_at"]
    if isinstance(observed, str):
        observed = datetime.fromisoformat(observed)
    chain = [("seq", str(entry.seq)), ("hash", entry.hash)] if entry is not None else []
    params = [
        *chain,
        ("id", str(alert["id"])),
        ("rule", str(alert["rule_id"])),
        ("severity", str(alert["severity"])),
        ("group", str(alert["group_key"])),
        ("status", str(alert.get("status") or "")),
    ]
    return Message(
        facility=FACILITY_LOG_ALERT,
        severity=LEVEL_SEVERITY[str(alert["severity"])],
        at=observed if isinstance(observed, datetime) else None,
        hostname=origin.hostname,
        app_name=APP_NAME,
        procid=None,
        msgid="alert",
        data={f"alert@{origin.enterprise}": params},
        msg=ecs.json_line(document).rstrip("\n"),
    )


def render(entry: Entry, fmt: Format, origin: Origin) -> bytes:
    """One entry as an ECS JSON line, or as a syslog message (unframed)."""
    if fmt == "ecs":
        alert = alert_of(json.loads(entry.body))
        if alert is not None:
            return ecs.json_line(_chained(ecs.alert_document(alert), entry)).encode()
        return ecs.json_line(ecs.audit_document(entry.seq, entry.body, entry.hash)).encode()
    return audit_message(entry, origin).render()
