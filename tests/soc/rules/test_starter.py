"""Each starter rule replays an attack (it must fire, with the attack's entries as evidence) and
an ordinary week (nothing fires). The week is generated in the shapes the platform writes
(test_real_bodies.py checks them against the real application)."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lienthong.soc.detection import SEVERITIES, Detection
from lienthong.soc.rules.catalogue import emitting, starter_rules
from lienthong.soc.rules.engine import Engine
from tests.soc.rules import traffic as tr
from tests.soc.rules.traffic import DAY, START

DAYS = 8  # seven days to learn baselines and usual purposes, then the day replayed
READS = 3_000


@dataclass
class Week:
    fleet: list[tr.System]
    learned: Engine  # fed the first seven days
    seen: int  # entries fed
    last_day: list[dict[str, Any]]
    found: list[Detection]  # what the seven days raised


@pytest.fixture(scope="module")
def week() -> Week:
    rng = random.Random(15)
    fleet = tr.systems(10, rng)
    events: list[dict[str, Any]] = []
    for number in range(DAYS - 1):
        events += tr.day(fleet, number, rng, reads_per_day=READS, token_every=3600)
    engine = Engine(starter_rules())
    bodies = list(tr.entries(events))
    found = engine.feed(bodies)
    last = tr.day(fleet, DAYS - 1, rng, reads_per_day=READS, token_every=3600)
    return Week(fleet, engine, len(bodies), last, found)


def _replay(week: Week, attack: list[dict[str, Any]]) -> tuple[list[Detection], set[int]]:
    for body in attack:
        body["_attack"] = True
    bodies = list(tr.entries(week.last_day + attack, first_seq=week.seen + 1))
    marked = {seq for seq, b in enumerate(bodies, week.seen + 1) if '"_attack":true' in b}
    return copy.deepcopy(week.learned).feed(bodies), marked


def test_an_ordinary_week_raises_nothing(week: Week) -> None:
    assert week.found == []
    found, _ = _replay(week, [])
    assert found == []


LAST = START + (DAYS - 1) * DAY  # the replayed day, 00:00 local


def credential_stuffing(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    t = LAST + 10 * 3600
    return [tr.refused_token(f"ltc_guess{n:04d}", "198.51.100.9", t + n * 4) for n in range(30)]


def anonymous_flood(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    t = LAST + 14 * 3600
    return [tr.denied(None, t + n * 0.1, "missing-token", "198.51.100.7") for n in range(400)]


def read_beyond_baseline(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[2], LAST + 15 * 3600
    return [tr.read(s, t + n * 1.5, n, rng, dataset="citizen") for n in range(1500)]


def person_enumeration(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[3], LAST + 10 * 3600
    return [tr.read(s, t + n * 0.5, 5_000_000 + n, rng) for n in range(800)]


def unusual_purpose(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[1], LAST + 11 * 3600
    return [tr.read(s, t, 42, rng, purpose="marketing")]


def off_hours_spike(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[4], LAST + 2 * 3600  # 02:00 in the province
    return [tr.read(s, t + n * 2, n, rng) for n in range(150)]


def grant_approved_then_used(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[5], LAST + 16 * 3600
    fields = ["personal_id", "id_document_number"]
    return [
        tr.grant("grant.request", s, t, fields, 7),
        tr.grant("grant.approve", s, t + 600, fields, 7),
        tr.read(s, t + 780, 9, rng, fields=fields, dataset="citizen"),
    ]


def new_source_address(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[6], LAST + 9 * 3600
    return [tr.read(s, t, 7, rng, ip="192.0.2.66")]


def suspended_still_trying(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[7], LAST + 13 * 3600
    return [tr.denied(s, t + n * 10, "grant-suspended", s.ips[0]) for n in range(40)]


def quarantine_growing(fleet: list[tr.System], rng: random.Random) -> list[dict[str, Any]]:
    s, t = fleet[8], LAST + 9 * 3600
    return [tr.batch(s, t + n * 600, 2000, 700) for n in range(3)]


ATTACKS: dict[str, tuple[Callable[..., list[dict[str, Any]]], str]] = {
    "credential-stuffing": (credential_stuffing, "ip=198.51.100.9"),
    "anonymous-flood": (anonymous_flood, "ip=198.51.100.7"),
    "read-beyond-baseline": (read_beyond_baseline, "_system=H33.12/sys2,dataset=citizen"),
    "person-enumeration": (person_enumeration, "_system=H33.13/sys3"),
    "unusual-purpose": (unusual_purpose, "_system=H33.11/sys1,dataset=citizen"),
    "off-hours-spike": (off_hours_spike, "_system=H33.14/sys4"),
    "grant-approved-then-used": (grant_approved_then_used, "_system=H33.15/sys5,dataset=citizen"),
    "new-source-address": (new_source_address, f"actor.client_id=ltc_{6:024x}"),
    "suspended-still-trying": (suspended_still_trying, f"_client=ltc_{7:024x}"),
    "quarantine-growing": (quarantine_growing, "_organisation=H33.18"),
}


def test_every_starter_rule_has_an_attack_replayed() -> None:
    assert {r.id for r in emitting(starter_rules())} == set(ATTACKS)
    for rule in starter_rules():
        assert rule.level in SEVERITIES and rule.title
        if rule.id in ATTACKS:  # Vietnamese then English
            assert " / " in rule.description, rule.id


@pytest.mark.parametrize("rule_id", sorted(ATTACKS))
def test_the_attack_is_caught(rule_id: str, week: Week) -> None:
    make, group = ATTACKS[rule_id]
    found, marked = _replay(week, make(week.fleet, random.Random(7)))
    mine = [d for d in found if d.rule_id == rule_id]
    assert mine and {d.group_key for d in mine} == {group}  # a long attack may fire again
    assert set(mine[0].audit_seqs) & marked  # the evidence is the attack
    for other in found:  # nothing else fires on the ordinary traffic around it
        assert set(other.audit_seqs) & marked, other
