"""Audit bodies of a province's ordinary days and of attacks, shaped as the platform writes them
(tests/soc/rules/test_real_bodies.py drives the real application and checks the shapes match).

Times are epoch seconds; ``entries`` numbers them (``seq``) and stamps ``at`` as the writer does.
The province's clock is UTC+7: its working day 07:00–18:00 is 00:00–11:00 UTC.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lienthong.audit.chain import canonical

DAY = 86_400.0
START = datetime(2026, 11, 2, tzinfo=UTC).timestamp() - 7 * 3600  # a Monday, 00:00 local
# Share of a system's daily reads in each local hour: office hours carry nearly all of it.
PROFILE = [0.002] * 6 + [0.03, 0.09, 0.12, 0.12, 0.11, 0.08, 0.05, 0.09, 0.11, 0.1, 0.06, 0.02]
PROFILE += [0.002] * (24 - len(PROFILE))


@dataclass
class System:
    org: str
    code: str
    client_id: str
    ips: list[str]
    datasets: list[str]
    purposes: list[str]
    system_id: int
    fields: list[str] = field(default_factory=lambda: ["personal_id", "full_name"])

    def actor(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "kind": "system",
            "organisation": self.org,
            "system": self.code,
        }


def subject(n: int) -> str:
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def systems(count: int, rng: random.Random) -> list[System]:
    found = []
    for n in range(count):
        datasets = ["citizen"] if n % 3 else ["citizen", "health_insurance"]
        found.append(
            System(
                org=f"H33.{10 + n:02d}",
                code=f"sys{n}",
                client_id=f"ltc_{n:024x}",
                ips=[f"10.33.{n}.{1 + k}" for k in range(1 + n % 2)],
                datasets=datasets,
                purposes=["public-service"] if n % 4 else ["public-service", "statistics"],
                system_id=100 + n,
            )
        )
    return found


def read(system: System, t: float, person: int, rng: random.Random, **over: Any) -> dict[str, Any]:
    body = {
        "action": "data.read",
        "actor": system.actor(),
        "_t": t,
        "count": 1,
        "dataset": rng.choice(system.datasets),
        "fields": sorted(system.fields),
        "ip": rng.choice(system.ips),
        "keys": [subject(person)],
        "outcome": "ok",
        "purpose": rng.choice(system.purposes),
        "request_id": f"{int(t * 1000):x}-{person}",
        "subjects": [subject(person)],
    }
    return body | over


def token(system: System, t: float) -> dict[str, Any]:
    return {
        "action": "auth.token",
        "actor": system.actor(),
        "_t": t,
        "jti": f"{int(t):x}",
        "outcome": "ok",
    }


def refused_token(
    client_id: str, ip: str, t: float, outcome: str = "invalid-client"
) -> dict[str, Any]:
    return {
        "action": "auth.token",
        "actor": {"kind": "anonymous"},
        "_t": t,
        "client_id": client_id,
        "ip": ip,
        "outcome": outcome,
    }


def denied(
    system: System | None, t: float, outcome: str, ip: str, dataset: str = "citizen"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": "data.denied",
        "_t": t,
        "dataset": dataset,
        "ip": ip,
        "outcome": outcome,
        "request_id": f"{int(t * 1000):x}-d",
    }
    if system is None:
        body["actor"] = {"kind": "anonymous"}
    else:
        body |= {"actor": system.actor(), "purpose": system.purposes[0]}
    return body


def grant(
    action: str, system: System, t: float, fields: list[str], grant_id: int
) -> dict[str, Any]:
    actor = (
        system.actor()
        if action == "grant.request"
        else {
            "kind": "person",
            "name": "Nguyễn Văn A",
            "organisation": "H33.01",
            "person": 1,
            "token": 1,
        }
    )
    status = {"grant.request": "requested", "grant.approve": "approved"}[action]
    return {
        "action": action,
        "actor": actor,
        "_t": t,
        "dataset": "citizen",
        "detail": {
            "decided_by": None if status == "requested" else "person:1",
            "expires_on": "2027-06-30",
            "fields": sorted(fields),
            "grant": grant_id,
            "purposes": ["public-service"],
            "status": status,
            "system_id": system.system_id,
            "units": ["33"],
            "version": 1,
        },
        "outcome": "ok",
    }


def batch(system: System, t: float, loaded: int, quarantined: int) -> dict[str, Any]:
    return {
        "action": "ingest.batch",
        "actor": {"kind": "operator"},
        "_t": t,
        "count": loaded,
        "counts": {
            "inserted": loaded - quarantined,
            "loaded": loaded,
            "quarantined": quarantined,
            "unchanged": 0,
            "updated": 0,
        },
        "dataset": system.datasets[0],
        "detail": {
            "batch": f"b-{int(t)}",
            "checksum": "sha256:" + "0" * 64,
            "source": "export.csv",
            "standard_version": 1,
            "system": f"{system.org}/{system.code}",
        },
        "outcome": "ok",
    }


def day(
    fleet: list[System],
    number: int,
    rng: random.Random,
    *,
    reads_per_day: int,
    token_every: float = 1800.0,
) -> list[dict[str, Any]]:
    """One ordinary day: reads in office hours, tokens, a few mistakes, batches, grants."""
    start = START + number * DAY
    events: list[dict[str, Any]] = []
    per_system = reads_per_day / len(fleet)
    for s in fleet:
        volume = per_system * rng.uniform(0.8, 1.2)
        for hour, share in enumerate(PROFILE):
            for _ in range(int(volume * share + rng.random())):
                t = start + hour * 3600 + rng.random() * 3600
                events.append(read(s, t, rng.randrange(3_000_000), rng))
        t = start + rng.random() * token_every
        while t < start + DAY:
            events.append(token(s, t))
            t += token_every
        if rng.random() < 0.3:  # a stale secret, retried a few times
            t = start + rng.random() * DAY
            events += [refused_token(s.client_id, s.ips[0], t + k * 5) for k in range(3)]
        if rng.random() < 0.5:
            t = start + (7 + rng.random() * 10) * 3600
            events.append(batch(s, t, rng.randrange(100, 5000), rng.randrange(0, 40)))
    for k in range(rng.randrange(5, 30)):  # scanners and forgotten scripts, now and then
        t = start + rng.random() * DAY
        events.append(denied(None, t, "missing-token", f"203.0.113.{k}"))
    s = fleet[number % len(fleet)]  # a sensitive grant, used the next morning
    t = start + 9 * 3600
    events.append(grant("grant.request", s, t, ["personal_id", "phone"], 1000 + number))
    events.append(grant("grant.approve", s, t + 1800, ["personal_id", "phone"], 1000 + number))
    events.append(read(s, t + DAY, 1, rng, fields=["personal_id", "phone"]))
    return events


def entries(events: Iterable[dict[str, Any]], first_seq: int = 1) -> Iterator[str]:
    """Canonical bodies in time order, numbered from ``first_seq``, stamped as the writer does."""
    for seq, body in enumerate(sorted(events, key=lambda e: e["_t"]), first_seq):
        t = body["_t"]
        stamp = datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds")
        yield canonical({k: v for k, v in body.items() if k != "_t"} | {"seq": seq, "at": stamp})
