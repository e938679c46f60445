"""The ordinary days: office hours in UTC+7, tokens, mistakes, producers, grants."""

from __future__ import annotations

import random
from datetime import timedelta

from tests.soc_holdout.generator import (
    MIN,
    PLAIN,
    SEC,
    System,
    Writer,
    local,
)


def shape(systems: list[System]) -> None:
    """Give the systems the cases need predictable habits."""
    big = systems[10]  # ~100 reads at 10:00 every day, one dataset
    big.datasets, big.purposes = ["citizen"], {"citizen": ["public-service"]}
    for s in (systems[20], systems[21], systems[26], systems[27]):
        s.per_hour = 8
    systems[34].ips = ["10.33.34.10"]  # its second address appears on day 0 only (learning_extras)


def ordinary_day(w: Writer, systems: list[System], day: int) -> None:
    rng = w.rng
    for s in systems:
        for hour in range(24):
            office = 8 <= hour < 17
            n = (
                rng.randint(int(s.per_hour * 0.7), int(s.per_hour * 1.3))
                if office
                else rng.randint(0, 1)
            )
            if hour in (11, 12) and office:
                n //= 2
            if s is systems[10] and hour == 10:
                n = rng.randint(95, 105)
            if office:
                w.token(local(day, hour + rng.random() / 20), s)
            for _ in range(n):
                at = local(day, hour + rng.random())
                kind = rng.random()
                if kind < 0.7 or s is systems[10]:
                    w.read(at, s)
                elif kind < 0.9:
                    w.read(at, s, action="data.lookup", people=_people(rng, 2, 10))
                else:
                    w.read(at, s, action="data.list", people=_people(rng, 5, 20))
        if day == 0:  # every usual address, dataset and purpose in the first hour
            for ip in s.ips:
                for d in s.datasets:
                    for p in s.purposes[d]:
                        w.read(local(0, 7.6 + rng.random() / 10), s, dataset=d, purpose=p, ip=ip)
    # the odd mistake: a missing field, a wrong secret, an unauthenticated probe
    for _ in range(rng.randint(2, 6)):
        s = rng.choice(systems)
        w.denied(local(day, 8 + 9 * rng.random()), s, "field-not-granted")
    for _ in range(rng.randint(1, 3)):
        s = rng.choice(systems)
        w.token_refused(local(day, 8 + 9 * rng.random()), s.ips[0], s.client_id)
    for _ in range(rng.randint(0, 6)):
        w.anonymous(local(day, 24 * rng.random()), f"203.0.113.{rng.randint(1, 50)}")
    # a night job reading 120 records at 06:40 province time (23:40 UTC): not off-hours
    start = local(day, 6 + 40 / 60)
    for k in range(120):
        w.read(start + k * 4 * SEC, systems[5])
    # producers: two batches a day, a few quarantined rows
    for n in range(1, 6):
        for hour in (1, 13):
            w.ingest(
                local(day, hour + rng.random() / 2), f"H33.{n:02d}", "hoso", rng.randint(0, 150)
            )


def _people(rng: random.Random, low: int, high: int) -> list[int]:
    return [rng.randrange(2_000_000) for _ in range(rng.randint(low, high))]


def learning_extras(w: Writer, systems: list[System]) -> None:
    # a second address seen on day 0 only, used again on the eighth day (near miss below)
    w.read(local(0, 8.2), systems[34], ip="10.33.34.99")
    # a purpose used once on day 2, used again on the eighth day (near miss below)
    s = systems[25]
    d = s.datasets[0]
    w.read(local(2, 10.5), s, dataset=d, purpose="social-benefit")
    # grants in the learning week: plain ones used at once, a sensitive one used after 30 min
    for k, s in enumerate(systems[0:4]):
        approved = w.grant(local(1 + k, 9), s, 10 + k, s.datasets[0], PLAIN, timedelta(hours=3))
        w.read(approved + 2 * MIN, s, dataset=s.datasets[0])
    s = systems[32]
    approved = w.grant(local(2, 9), s, 20, s.datasets[0], [*PLAIN, "phone"], timedelta(hours=1))
    w.read(approved + 30 * MIN, s, dataset=s.datasets[0], fields=[*PLAIN, "phone"])
