"""The alert store as the rules runner's sink: deduplication by rule and group, replays
counted once, severity, suppression windows, bounded evidence, and nothing half-written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.errors import Conflict, ValidationFailed
from lienthong.soc.alerts import service, sink
from lienthong.soc.alerts.models import Alert
from lienthong.soc.alerts.schemas import SuppressionCreate
from tests.soc.alerts.factories import NOON, alert, finding, store

ANALYST = {"kind": "person", "person": 7, "name": "Trần Văn An", "via": "session"}


def _count(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Alert)) or 0)


def test_findings_of_one_rule_and_group_are_one_alert_with_every_entry(
    engine: Engine, settings: Settings
) -> None:
    ids = store(engine, settings, finding([1, 2]), finding([3], minutes=5))
    assert ids[0] == ids[1]
    other = store(engine, settings, finding([4], group="source=10.0.0.8"))
    assert other[0] != ids[0]
    got = alert(engine, ids[0])
    assert (got["status"], got["occurrences"], got["evidence"]) == ("open", 2, [1, 2, 3])
    assert got["first_seen"] == NOON and got["last_seen"] == NOON + timedelta(minutes=5)


def test_a_replayed_finding_counts_once(engine: Engine, settings: Settings) -> None:
    first = store(engine, settings, finding([1, 2, 3]))
    again = store(
        engine, settings, finding([1, 2, 3]), finding([2, 3], minutes=1)
    )  # replay, subset
    assert again == first * 2
    got = alert(engine, first[0])
    assert (got["occurrences"], got["evidence_count"], got["evidence"]) == (1, 3, [1, 2, 3])
    store(engine, settings, finding([3, 4], minutes=2))  # one new entry: a new occurrence
    got = alert(engine, first[0])
    assert (got["occurrences"], got["evidence_count"], got["evidence"]) == (2, 4, [1, 2, 3, 4])


def test_the_sink_owns_its_transaction_and_severity_only_rises(
    engine: Engine, settings: Settings
) -> None:
    into = sink(engine, settings)
    into([finding([1], severity="medium")])
    into([finding([2], severity="critical"), finding([3], severity="low")])
    [only] = store(engine, settings, finding([1], severity="medium"))
    assert alert(engine, only)["severity"] == "critical"
    assert _count(engine) == 1


def test_a_resolved_alerts_group_raising_again_opens_a_new_alert(
    engine: Engine, settings: Settings
) -> None:
    [first] = store(engine, settings, finding([1]))
    with transaction(engine) as session:
        service.acknowledge(
            session=session, settings=settings, alert_id=first, actor=ANALYST, reason="xem xét"
        )
        service.resolve(
            session=session,
            settings=settings,
            alert_id=first,
            actor=ANALYST,
            reason="khoá tài khoản",
        )
    [second] = store(engine, settings, finding([2], minutes=30))
    assert second != first
    assert alert(engine, second)["status"] == "open"
    resolved = alert(engine, first)
    assert resolved["resolved_by"] == "Trần Văn An (person:7)"
    assert resolved["resolve_reason"] == "khoá tài khoản"
    # replaying the resolved alert's own finding does not reopen anything
    assert store(engine, settings, finding([1])) == [first]


def test_invalid_transitions_are_refused_with_their_code(
    engine: Engine, settings: Settings
) -> None:
    [one] = store(engine, settings, finding([1]))
    with transaction(engine) as session:
        service.resolve(session=session, settings=settings, alert_id=one, actor=ANALYST, reason="x")
    for change in (service.acknowledge, service.resolve):
        with pytest.raises(Conflict) as refused, transaction(engine) as session:
            change(session=session, settings=settings, alert_id=one, actor=ANALYST, reason="x")
        assert refused.value.code == "alert-transition"
        assert refused.value.status == 409


def test_suppressed_findings_are_kept_and_counted_not_raised(
    engine: Engine, settings: Settings
) -> None:
    window = SuppressionCreate(
        rule_id="credential-stuffing",
        group_pattern="source=10.0.*",
        starts_at=NOON - timedelta(hours=1),
        ends_at=NOON + timedelta(hours=1),
        reason="kiểm thử xâm nhập được phép",
    )
    with transaction(engine) as session:
        made = service.suppress(session=session, settings=settings, data=window, actor=ANALYST)
    quiet = store(
        engine,
        settings,
        finding([1]),
        finding([2], group="source=10.0.9.9", minutes=1),
        finding([3], minutes=2),
    )
    loud = store(
        engine, settings, finding([4], group="source=192.168.1.1"), finding([5], minutes=90)
    )  # outside the pattern; after the window
    kept = alert(engine, quiet[0])
    assert (kept["status"], kept["suppression_id"], kept["occurrences"]) == (
        "suppressed",
        made.id,
        2,
    )
    assert kept["evidence"] == [1, 3]
    assert {alert(engine, i)["status"] for i in loud} == {"open"}
    with pytest.raises(Conflict), transaction(engine) as session:
        service.acknowledge(
            session=session, settings=settings, alert_id=quiet[0], actor=ANALYST, reason="x"
        )


def test_a_window_must_end_after_it_starts_and_name_something(
    engine: Engine, settings: Settings
) -> None:
    for bad in (
        SuppressionCreate(rule_id="r", starts_at=NOON, ends_at=NOON, reason="x"),
        SuppressionCreate(starts_at=NOON, ends_at=NOON + timedelta(hours=1), reason="x"),
    ):
        with pytest.raises(ValidationFailed) as refused, transaction(engine) as session:
            service.suppress(session=session, settings=settings, data=bad, actor=ANALYST)
        assert refused.value.details[0].code == "invalid-suppression-window"


def test_a_bad_finding_writes_nothing_of_its_batch(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ValidationFailed) as refused:
        store(engine, settings, finding([1]), finding([2], severity="urgent"))
    assert [(d.field, d.code) for d in refused.value.details] == [
        ("1.severity", "validation-failed")
    ]
    assert _count(engine) == 0


def test_evidence_is_bounded_and_the_count_goes_on(engine: Engine, settings: Settings) -> None:
    [one] = store(engine, settings, finding(range(1, 1201)))
    got = alert(engine, one)
    assert len(got["evidence"]) == service.MAX_EVIDENCE
    assert got["evidence_count"] == 1200
