"""Exchange volume: the answered data requests (``data.read``, ``data.list``,
``data.lookup``) per day and per dataset, counted in the audit log.

Entries are canonical JSON (keys sorted, no spaces), so an action and a day are fixed
substrings of the body: the scan matches them as text, then reads the matching entries. It
reads every request of the window, so the window is kept short (days, not years)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from lienthong.audit import chain
from lienthong.audit.service import READ_ACTIONS

MAX_DAYS = 92


@dataclass(frozen=True)
class Volume:
    days: list[date]  # every day of the window, oldest first
    per_day: dict[date, int]  # requests answered
    per_dataset: dict[str, int]  # requests answered, over the window
    records_per_dataset: dict[str, int]  # records released, over the window


def exchange_volume(*, session: Session, until: date, days: int) -> Volume:
    """The window of ``days`` days ending on ``until`` (UTC days, as the log stamps them)."""
    days = max(1, min(days, MAX_DAYS))
    window = [until - timedelta(days=n) for n in reversed(range(days))]
    body = chain.entries.c.body
    actions = or_(*(body.contains(f'"action":"{a}"', autoescape=True) for a in READ_ACTIONS))
    stamped = or_(*(body.contains(f'"at":"{d.isoformat()}T', autoescape=True) for d in window))
    per_day: Counter[date] = Counter()
    per_dataset: Counter[str] = Counter()
    records: Counter[str] = Counter()
    for (text,) in session.execute(select(body).where(and_(actions, stamped))):
        entry = json.loads(text)
        if entry.get("action") not in READ_ACTIONS:
            continue
        day = date.fromisoformat(str(entry["at"])[:10])
        dataset = str(entry.get("dataset", ""))
        per_day[day] += 1
        per_dataset[dataset] += 1
        records[dataset] += int(entry.get("count") or 0)
    return Volume(
        days=window,
        per_day={d: per_day[d] for d in window},
        per_dataset=dict(sorted(per_dataset.items())),
        records_per_dataset=dict(sorted(records.items())),
    )
