"""The same attacks in other documented shapes (other actions, refusal codes, addresses,
hours) and near misses that count the wrong thing (repeats, other refusals, other systems)."""

from __future__ import annotations

from datetime import timedelta

from tests.soc_holdout.generator import (
    EVAL_DAY,
    MIN,
    PLAIN,
    SEC,
    System,
    Writer,
    local,
    when,
)


def variants(w: Writer, systems: list[System]) -> None:
    """The same attacks in other documented shapes: other actions, other refusal codes."""
    rng = w.rng
    s, t = systems[6], when(rng)
    for k in range(25):  # a suspended system with a token it still holds (403)
        w.denied(
            t + k * 20 * SEC, s, "system-suspended", tag="attack|suspended-still-trying|system-403"
        )
    s = systems[7]  # grant asked for on day 6, approved on the eighth, used 4 minutes later
    approved = w.grant(
        local(6, 15),
        s,
        40,
        s.datasets[0],
        [*PLAIN, "ethnic_code"],
        timedelta(hours=20),
        tag="attack|grant-approved-then-used|asked-day-6",
    )
    w.read(
        approved + 4 * MIN,
        s,
        dataset=s.datasets[0],
        fields=[*PLAIN, "ethnic_code"],
        tag="attack|grant-approved-then-used|asked-day-6",
    )
    s = systems[8]
    approved = w.grant(
        when(rng),
        s,
        41,
        s.datasets[0],
        [*PLAIN, "id_document_number"],
        30 * MIN,
        tag="attack|grant-approved-then-used|lookup",
    )
    w.read(
        approved + 4 * MIN,
        s,
        dataset=s.datasets[0],
        action="data.lookup",
        people=[1, 2, 3],
        fields=[*PLAIN, "id_document_number"],
        tag="attack|grant-approved-then-used|lookup",
    )
    w.read(
        when(rng),
        systems[9],
        action="data.lookup",
        people=[4, 5],
        ip="10.99.0.9",
        tag="attack|new-source-address|lookup",
    )
    s = systems[11]
    w.read(
        when(rng),
        s,
        dataset=s.datasets[0],
        action="data.lookup",
        people=[6],
        purpose="health-care",
        tag="attack|unusual-purpose|lookup",
    )
    s, t = systems[12], when(rng)
    for k in range(250):  # 600 distinct people in 9 minutes: 250 one by one, 350 in lookups
        w.read(t + k * 2 * SEC, s, people=[7_000_000 + k], tag="attack|person-enumeration|reads")
    for k in range(7):  # (under 300 entries in the hour: not a read-beyond-baseline case)
        people = list(range(7_100_000 + 50 * k, 7_100_000 + 50 * (k + 1)))
        w.read(
            t + k * 60 * SEC,
            s,
            action="data.lookup",
            people=people,
            tag="attack|person-enumeration|reads",
        )
    s, t = systems[13], when(rng)
    for k in range(14):  # 700 people in 7 minutes over two datasets
        people = list(range(8_000_000 + 50 * k, 8_000_000 + 50 * (k + 1)))
        d = ("citizen", "household")[k % 2]
        w.read(
            t + k * 30 * SEC,
            s,
            dataset=d,
            action="data.lookup",
            people=people,
            purpose="public-service",
            tag="attack|person-enumeration|two-datasets",
        )
    t = when(rng)
    for k in range(150):  # refused token requests are unauthenticated requests too
        w.token_refused(
            t + k * 0.3 * SEC,
            "203.0.113.70",
            "ltc_same",
            tag="attack|anonymous-flood|token-requests",
        )
    t = when(rng)
    for k in range(15):
        w.token_refused(
            t + k * 12 * SEC,
            "2001:db8:33::7",
            f"ltc_v6{k:03d}",
            tag="attack|credential-stuffing|ipv6",
        )
    s, t = systems[14], local(EVAL_DAY, 5 + 50 / 60)
    for k in range(110):  # 110 reads between 05:50 and 05:59
        w.read(t + k * 5 * SEC, s, tag="attack|off-hours-spike|0550")
    s, t = systems[15], local(EVAL_DAY, 21 + 57 / 60)
    for k in range(146):  # 21:57 to 22:09: the 110 after 22:00 are off-hours
        w.read(
            t + k * 5 * SEC,
            s,
            tag="near|off-hours-spike|straddling-2200"
            if k < 36
            else "attack|off-hours-spike|after-2200",
        )
    for code, s in (("organisation-inactive", systems[16]), ("credential-revoked", systems[17])):
        t = when(rng)
        for k in range(22):  # the codes the platform answers for the other two "suspended" cases
            w.token_refused(
                t + k * 25 * SEC,
                s.ips[0],
                s.client_id,
                code,
                tag=f"attack|suspended-still-trying|{code}",
            )
    s, t = systems[18], local(EVAL_DAY, 3 + 5 / 60)
    for k in range(350):  # 350 reads spread over 03:05-03:55: beyond its night, not a burst
        w.read(
            t + k * 8.5 * SEC, s, dataset=s.datasets[0], tag="attack|read-beyond-baseline|night-350"
        )


def distinct_near_misses(w: Writer, systems: list[System]) -> None:
    """Many entries, few distinct values or the wrong kind: under the thresholds that count."""
    rng = w.rng
    s, t = systems[19], when(rng)
    for k in range(30):  # 1,500 subjects released, 300 distinct people, in 10 minutes
        people = list(range(9_000_000 + 10 * k, 9_000_000 + 10 * k + 50))
        people = [9_000_000 + (p - 9_000_000) % 300 for p in people]
        w.read(
            t + k * 19 * SEC,
            s,
            action="data.lookup",
            people=people,
            tag="near|person-enumeration|300-distinct-of-1500",
        )
    t = when(rng)
    for k in range(30):  # 30 failed token requests, 3 client ids
        w.token_refused(
            t + k * 9 * SEC,
            "198.51.100.10",
            f"ltc_same{k % 3}",
            tag="near|credential-stuffing|3-ids-30-tries",
        )
    s, t = systems[38], when(rng)
    for k in range(25):  # refused, but not for a suspension
        w.denied(
            t + k * 20 * SEC,
            s,
            "field-not-granted",
            tag="near|suspended-still-trying|not-suspended",
        )
    a, b = systems[38], systems[39]  # a's sensitive grant; b (another system) reads phone
    d = a.datasets[0]
    approved = w.grant(
        when(rng),
        a,
        42,
        d,
        [*PLAIN, "phone"],
        30 * MIN,
        tag="near|grant-approved-then-used|other-system",
    )
    w.read(
        approved + 4 * MIN,
        b,
        dataset=d,
        purpose="public-service",
        fields=[*PLAIN, "phone"],
        tag="near|grant-approved-then-used|other-system",
    )
