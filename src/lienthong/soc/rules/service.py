"""Rules as the operator sees them: the list with enablement, switching a rule on or off
(audited), and testing a rule over a time range of the audit log (nothing stored)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from lienthong.audit import chain
from lienthong.audit.service import record
from lienthong.config import Settings
from lienthong.db import utcnow
from lienthong.errors import NotFound, ValidationFailed
from lienthong.events import event
from lienthong.soc.detection import Detection
from lienthong.soc.rules.catalogue import emitting, starter_rules
from lienthong.soc.rules.engine import Engine
from lienthong.soc.rules.models import SocRuleSetting
from lienthong.soc.rules.sigma import Rule

MAX_TEST_ENTRIES = 1_000_000  # a test reads at most this many entries of the range


def overrides(session: Session | Connection) -> dict[str, bool]:
    rows = session.execute(select(SocRuleSetting.rule_id, SocRuleSetting.enabled))
    return {rule_id: bool(enabled) for rule_id, enabled in rows}


def _find(rule_id: str, rules: Sequence[Rule]) -> Rule:
    for rule in emitting(list(rules)):
        if rule.id == rule_id or rule.uuid == rule_id:
            return rule
    raise NotFound(
        f"không có luật phát hiện / no detection rule {rule_id!r}", code="soc-rule-not-found"
    )


def _view(rule: Rule, enabled: dict[str, bool], with_text: bool = False) -> dict[str, Any]:
    out = rule.describe() | {"enabled": enabled.get(rule.id, True)}
    if with_text:
        out["sigma"] = rule.text
    return out


def list_rules(*, session: Session) -> list[dict[str, Any]]:
    enabled = overrides(session)
    return [_view(r, enabled) for r in emitting(starter_rules())]


def get_rule(*, session: Session, rule_id: str) -> dict[str, Any]:
    return _view(_find(rule_id, starter_rules()), overrides(session), with_text=True)


def set_enabled(
    *, session: Session, settings: Settings, rule_id: str, enabled: bool, actor: dict[str, Any]
) -> dict[str, Any]:
    """Switch a rule on or off; audited in the same transaction."""
    rule = _find(rule_id, starter_rules())
    row = session.get(SocRuleSetting, rule.id)
    who = json.dumps(actor, sort_keys=True)[:200]
    if row is None:
        row = SocRuleSetting(rule_id=rule.id, enabled=enabled, changed_by=who, changed_at=utcnow())
        session.add(row)
    else:
        row.enabled, row.changed_by, row.changed_at = enabled, who, utcnow()
    session.flush()
    action = "soc.rule-enable" if enabled else "soc.rule-disable"
    record(session=session, settings=settings, entry=event(action, actor=actor, rule=rule.id))
    return _view(rule, overrides(session))


def entries_between(
    conn: Connection | Session, start: datetime, until: datetime
) -> Iterator[tuple[int, str]]:
    """Entries stamped in ``[start, until)``, in order. Entries carry their time in the body
    only; it grows with seq (a batch shares one stamp), so the range's ends are found by
    bisecting on seq and the entries between are read in order."""
    if until <= start:
        raise ValidationFailed(
            "'from' phải trước 'until' / 'from' must be before 'until'", code="soc-range-invalid"
        )
    low = _first_at_or_after(conn, start)
    high = _first_at_or_after(conn, until)
    high = min(high, low + MAX_TEST_ENTRIES)
    after = low - 1
    while after < high - 1:
        stmt = (
            select(chain.entries.c.seq, chain.entries.c.body)
            .where(chain.entries.c.seq > after, chain.entries.c.seq < high)
            .order_by(chain.entries.c.seq)
            .limit(5_000)
        )
        rows = [(int(s), str(b)) for s, b in conn.execute(stmt)]
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _first_at_or_after(conn: Connection | Session, moment: datetime) -> int:
    """The smallest seq stamped at or after ``moment`` (one past the last when none is)."""
    top = conn.execute(select(func.max(chain.entries.c.seq))).scalar() or 0
    low, high = 1, top + 1
    while low < high:
        middle = (low + high) // 2
        stmt = (
            select(chain.entries.c.seq, chain.entries.c.body)
            .where(chain.entries.c.seq >= middle)
            .order_by(chain.entries.c.seq)
            .limit(1)
        )
        found = conn.execute(stmt).first()
        if found is None:
            high = middle
            continue
        at = datetime.fromisoformat(json.loads(found[1])["at"])
        if at >= moment:
            high = middle
        else:
            low = int(found[0]) + 1
    return low


def test_rule(
    *, session: Session, rule_id: str, start: datetime, until: datetime, utc_offset_hours: float
) -> list[Detection]:
    """What the rule would raise over the entries stamped in ``[start, until)`` (baselines and
    novelty sets learn from the range itself)."""
    rule = _find(rule_id, starter_rules())
    needed = {rule.id, *(rule.window.rules if rule.window else ())}
    chosen = [r for r in starter_rules() if r.id in needed]
    engine = Engine(chosen, utc_offset_hours=utc_offset_hours)
    found: list[Detection] = []
    batch: list[str] = []
    for _, body in entries_between(session, start, until):
        batch.append(body)
        if len(batch) >= 5_000:
            found += engine.feed(batch)
            batch = []
    found += engine.feed(batch)
    return [d for d in found if d.rule_id == rule.id]


def detection_json(found: Detection) -> dict[str, Any]:
    return {
        "rule_id": found.rule_id,
        "rule_title": found.rule_title,
        "severity": found.severity,
        "group_key": found.group_key,
        "observed_at": found.observed_at.isoformat(),
        "audit_seqs": list(found.audit_seqs),
        "summary": found.summary,
    }
