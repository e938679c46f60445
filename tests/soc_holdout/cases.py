"""The starter set's attacks on the eighth day, each clearly over its documented threshold,
and the near misses just under it."""

from __future__ import annotations

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


def attacks(w: Writer, systems: list[System]) -> None:
    rng = w.rng
    t = when(rng)
    for k in range(15):  # 15 distinct client ids from one address in 3 minutes
        w.token_refused(
            t + k * 12 * SEC,
            "198.51.100.7",
            f"ltc_guess{k:03d}",
            tag="attack|credential-stuffing|15-in-3min",
        )
    t = when(rng)
    for k in range(200):  # 200 unauthenticated requests in 50 s
        w.anonymous(t + k * SEC / 4, "203.0.113.66", tag="attack|anonymous-flood|200-in-50s")
    t = when(rng)
    # 200 a minute for two minutes, as the platform audits it by default (audit.md "Floods",
    # web/sources.py): each minute-window 100 refusals, then the address is limited and the
    # rest is one source.limited entry with its count, written when the window closes
    tag = "attack|anonymous-flood|200-a-min-as-audited"
    for window in range(2):
        start = t + window * 60 * SEC + window * SEC / 4
        for k in range(100):
            w.anonymous(start + k * SEC / 4, "203.0.113.67", tag=tag)
        w.source_limited(start + 60 * SEC, "203.0.113.67", 100, tag=tag)
    s = systems[20]  # ~8 reads an hour; 400 in one hour
    t = local(EVAL_DAY, 14 + 5 / 60)
    for k in range(400):
        w.read(t + k * 6.5 * SEC, s, dataset=s.datasets[0], tag="attack|read-beyond-baseline|50x")
    s, t = systems[22], when(rng)
    for k in range(14):  # 700 distinct people in 8 minutes
        people = list(range(5_000_000 + 50 * k, 5_000_000 + 50 * (k + 1)))
        w.read(
            t + k * 35 * SEC,
            s,
            action="data.lookup",
            people=people,
            tag="attack|person-enumeration|700-in-8min",
        )
    s = systems[24]
    w.read(
        when(rng),
        s,
        dataset=s.datasets[0],
        purpose="health-care",
        tag="attack|unusual-purpose|new",
    )
    s, t = systems[26], local(EVAL_DAY, 2)
    for k in range(150):  # 150 reads from 02:00 province time, 19:00 UTC
        w.read(t + k * 3 * SEC, s, tag="attack|off-hours-spike|150-at-0200")
    s = systems[28]
    approved = w.grant(
        when(rng),
        s,
        30,
        s.datasets[0],
        [*PLAIN, "phone"],
        30 * MIN,
        tag="attack|grant-approved-then-used|4min",
    )
    w.read(
        approved + 4 * MIN,
        s,
        dataset=s.datasets[0],
        fields=[*PLAIN, "phone"],
        tag="attack|grant-approved-then-used|4min",
    )
    s = systems[33]
    w.read(when(rng), s, ip="10.99.0.5", tag="attack|new-source-address|new-ip")
    s, t = systems[35], when(rng)
    for k in range(30):  # reads under a suspended grant, 30 in 10 minutes
        w.denied(t + k * 19 * SEC, s, "grant-suspended", tag="attack|suspended-still-trying|grant")
    s, t = systems[36], when(rng)
    for k in range(25):  # a suspended system asking for tokens, 25 in 10 minutes
        w.token_refused(
            t + k * 23 * SEC,
            s.ips[0],
            s.client_id,
            "system-suspended",
            tag="attack|suspended-still-trying|system-token",
        )
    t = when(rng)
    for k in range(3):  # 1,200 quarantined rows in 40 minutes
        w.ingest(
            t + k * 20 * MIN, "H33.03", "hoso", 400, tag="attack|quarantine-growing|1200-in-40min"
        )


def near_misses(w: Writer, systems: list[System]) -> None:
    rng = w.rng
    t = when(rng)
    for k in range(8):
        w.token_refused(
            t + k * 20 * SEC,
            "198.51.100.8",
            f"ltc_typo{k:03d}",
            tag="near|credential-stuffing|8-in-3min",
        )
    t = when(rng)
    for k in range(12):  # 12 distinct ids, but one every 150 s: at most 3 in any 5 minutes
        w.token_refused(
            t + k * 150 * SEC,
            "198.51.100.9",
            f"ltc_slow{k:03d}",
            tag="near|credential-stuffing|12-in-30min",
        )
    t = when(rng)
    for k in range(100):
        w.anonymous(t + k * 0.55 * SEC, "203.0.113.68", tag="near|anonymous-flood|100-in-55s")
    s, t = systems[10], local(EVAL_DAY, 10 + 5 / 60)
    for k in range(300):  # with its ~100 usual ones: ~400 at 10:00, 4x its mean of ~100
        w.read(t + k * 9 * SEC, s, tag="near|read-beyond-baseline|4x-of-100")
    s, t = systems[21], local(EVAL_DAY, 15 + 5 / 60)
    for k in range(250):  # 30x its usual hour but under the floor of 300
        w.read(
            t + k * 10 * SEC,
            s,
            dataset=s.datasets[0],
            tag="near|read-beyond-baseline|250-under-floor",
        )
    s, t = systems[23], when(rng)
    for k in range(8):  # 400 distinct people in 10 minutes
        people = list(range(6_000_000 + 50 * k, 6_000_000 + 50 * (k + 1)))
        w.read(
            t + k * 75 * SEC,
            s,
            action="data.lookup",
            people=people,
            tag="near|person-enumeration|400-in-10min",
        )
    s = systems[25]
    for _ in range(3):
        w.read(
            when(rng),
            s,
            dataset=s.datasets[0],
            purpose="social-benefit",
            tag="near|unusual-purpose|seen-day-2",
        )
    s, t = systems[27], local(EVAL_DAY, 23)
    for k in range(90):  # 90 reads in 10 minutes at 23:00
        w.read(t + k * 6 * SEC, s, tag="near|off-hours-spike|90-at-2300")
    s = systems[29]
    approved = w.grant(
        when(rng),
        s,
        31,
        s.datasets[0],
        [*PLAIN, "phone"],
        30 * MIN,
        tag="near|grant-approved-then-used|20min",
    )
    w.read(
        approved + 20 * MIN,
        s,
        dataset=s.datasets[0],
        fields=[*PLAIN, "phone"],
        tag="near|grant-approved-then-used|20min",
    )
    s = systems[30]
    approved = w.grant(
        when(rng),
        s,
        32,
        s.datasets[0],
        [*PLAIN, "address_line"],
        30 * MIN,
        tag="near|grant-approved-then-used|plain-fields",
    )
    w.read(
        approved + 3 * MIN,
        s,
        dataset=s.datasets[0],
        fields=PLAIN,
        tag="near|grant-approved-then-used|plain-fields",
    )
    s = systems[31]
    approved = w.grant(
        when(rng),
        s,
        33,
        s.datasets[0],
        PLAIN,
        30 * MIN,
        tag="near|grant-approved-then-used|plain-grant",
    )
    w.read(
        approved + 2 * MIN,
        s,
        dataset=s.datasets[0],
        tag="near|grant-approved-then-used|plain-grant",
    )
    w.read(when(rng), systems[34], ip="10.33.34.99", tag="near|new-source-address|seen-day-0")
    s, t = systems[37], when(rng)
    for k in range(15):
        w.denied(
            t + k * 38 * SEC, s, "grant-suspended", tag="near|suspended-still-trying|15-in-10min"
        )
    t = local(EVAL_DAY, 9)  # away from the producers' 13:00 batches
    for k in range(3):  # 900 rows in 40 minutes
        w.ingest(t + k * 20 * MIN, "H33.04", "hoso", 300, tag="near|quarantine-growing|900-in-1h")
    t = local(EVAL_DAY, 8)
    for k in range(3):  # 1,200 rows, one batch every 90 minutes
        w.ingest(t + k * 90 * MIN, "H33.05", "hoso", 400, tag="near|quarantine-growing|1200-in-3h")
