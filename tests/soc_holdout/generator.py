"""A province's audit log, written from the documented entry shapes only (audit.md "Entries",
soc-rules.md, and entries the running application wrote), with the starter set's attacks and
near misses spliced into the eighth day.

Forty consumer systems in eight organisations read four datasets in office hours (UTC+7),
take a token each hour, make the odd mistake; producers ingest batches that quarantine a few
rows; grants are requested and approved. Everything is seeded: the same seed, the same log.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

OFFSET = timedelta(hours=7)  # the province's time (LIENTHONG_SOC_UTC_OFFSET_HOURS)
DAY0 = datetime(2026, 11, 2, tzinfo=UTC) - OFFSET  # midnight, province time, of day 0
LEARNING_DAYS = 7
EVAL_DAY = LEARNING_DAYS
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)
DATASETS = ("citizen", "household", "business", "land_parcel")
PURPOSES = ("public-service", "statistics", "tax-assessment", "social-benefit", "health-care")
PLAIN = ["personal_id", "full_name", "birth_date"]
SENSITIVE = ["phone", "ethnic_code", "id_document_number", "address_line"]


@dataclass
class System:
    organisation: str
    code: str
    number: int
    client_id: str
    ips: list[str]
    datasets: list[str]
    purposes: dict[str, list[str]]
    per_hour: int  # reads in an office hour

    @property
    def name(self) -> str:
        return f"{self.organisation}/{self.code}"

    def actor(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "kind": "system",
            "organisation": self.organisation,
            "system": self.code,
        }


@dataclass
class Log:
    """Entries with their time and, for spliced cases, a tag; seq is given when sorted."""

    rng: random.Random
    rows: list[tuple[datetime, int, dict[str, Any], str | None]] = field(default_factory=list)
    counter: int = 0

    def add(self, at: datetime, entry: dict[str, Any], tag: str | None = None) -> None:
        self.counter += 1
        self.rows.append((at, self.counter, entry, tag))

    def finish(self) -> tuple[list[dict[str, Any]], dict[str, set[int]]]:
        entries: list[dict[str, Any]] = []
        tags: dict[str, set[int]] = {}
        for seq, (at, _, entry, tag) in enumerate(sorted(self.rows, key=lambda r: r[:2]), 1):
            entries.append(entry | {"seq": seq, "at": at.isoformat(timespec="microseconds")})
            if tag is not None:
                tags.setdefault(tag, set()).add(seq)
        return entries, tags


def subject(n: int) -> str:
    """A subject as the audit log holds it: a 64-hex keyed hash, never the ID."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def local(day: int, hour: float) -> datetime:
    """A time given in province hours of a day (hour may exceed 24)."""
    return DAY0 + timedelta(days=day, hours=hour)


def when(rng: random.Random) -> datetime:
    """A random minute of the eighth day's office hours."""
    return local(EVAL_DAY, 9 + 6 * rng.random())


def population(rng: random.Random) -> list[System]:
    systems = []
    for n in range(40):
        org = f"H33.{10 + n // 5:02d}"
        datasets = rng.sample(DATASETS, rng.choice((1, 2)))
        purposes = {d: rng.sample(PURPOSES[:3], rng.choice((1, 2))) for d in datasets}
        ips = [f"10.33.{n}.{k + 10}" for k in range(rng.choice((1, 2)))]
        systems.append(
            System(
                organisation=org,
                code=f"app{n:02d}",
                number=100 + n,
                client_id=f"ltc_{hashlib.sha256(f'c{n}'.encode()).hexdigest()[:24]}",
                ips=ips,
                datasets=datasets,
                purposes=purposes,
                per_hour=rng.randint(4, 20),
            )
        )
    return systems


class Writer:
    """Builds entries in the application's shapes (compare tests/exchange' audit rows)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.rng = log.rng
        self.requests = 0

    def _rid(self) -> str:
        self.requests += 1
        return f"{self.requests:012x}-1"

    def read(
        self,
        at: datetime,
        s: System,
        *,
        dataset: str | None = None,
        purpose: str | None = None,
        ip: str | None = None,
        fields: list[str] | None = None,
        people: list[int] | None = None,
        action: str = "data.read",
        tag: str | None = None,
    ) -> None:
        dataset = dataset or self.rng.choice(s.datasets)
        chosen = people or [self.rng.randrange(2_000_000)]
        hashes = [subject(p) for p in chosen]
        entry: dict[str, Any] = {
            "action": action,
            "actor": s.actor(),
            "count": len(hashes),
            "dataset": dataset,
            "fields": fields or PLAIN,
            "ip": ip or self.rng.choice(s.ips),
            "outcome": "ok",
            "purpose": purpose or self.rng.choice(s.purposes[dataset]),
            "request_id": self._rid(),
            "subjects": hashes,
        }
        if action != "data.list":
            entry["keys"] = hashes
        self.log.add(at, entry, tag)

    def denied(
        self,
        at: datetime,
        s: System,
        outcome: str,
        *,
        dataset: str | None = None,
        tag: str | None = None,
    ) -> None:
        dataset = dataset or s.datasets[0]
        entry = {
            "action": "data.denied",
            "actor": s.actor(),
            "dataset": dataset,
            "ip": s.ips[0],
            "outcome": outcome,
            "purpose": s.purposes[dataset][0],
            "request_id": self._rid(),
        }
        self.log.add(at, entry, tag)

    def anonymous(self, at: datetime, ip: str, tag: str | None = None) -> None:
        entry = {
            "action": "data.denied",
            "actor": {"kind": "anonymous"},
            "dataset": self.rng.choice(DATASETS),
            "ip": ip,
            "outcome": "missing-token",
            "request_id": self._rid(),
        }
        self.log.add(at, entry, tag)

    def source_limited(self, at: datetime, ip: str, count: int, tag: str | None = None) -> None:
        """What web/sources.py writes when an address passed its refusal limit."""
        since = (at - timedelta(seconds=60)).isoformat(timespec="seconds")
        entry = {
            "action": "source.limited",
            "actor": {"kind": "anonymous"},
            "count": count,
            "detail": {"refused_before_limit": 100, "since": since, "window_seconds": 60.0},
            "ip": ip,
            "outcome": "rate-limited",
        }
        self.log.add(at, entry, tag)

    def token(self, at: datetime, s: System) -> None:
        jti = hashlib.sha256(f"{at}{s.code}".encode()).hexdigest()[:32]
        self.log.add(at, {"action": "auth.token", "actor": s.actor(), "jti": jti, "outcome": "ok"})

    def token_refused(
        self,
        at: datetime,
        ip: str,
        client_id: str,
        outcome: str = "invalid-client",
        tag: str | None = None,
    ) -> None:
        entry = {
            "action": "auth.token",
            "actor": {"kind": "anonymous"},
            "client_id": client_id,
            "ip": ip,
            "outcome": outcome,
        }
        self.log.add(at, entry, tag)

    def grant(
        self,
        at: datetime,
        s: System,
        grant: int,
        dataset: str,
        fields: list[str],
        approve_after: timedelta,
        tag: str | None = None,
    ) -> datetime:
        """The consumer's request, then a steward's approval; returns the approval time."""
        detail = {
            "decided_by": None,
            "expires_on": "2027-06-30",
            "fields": sorted(fields),
            "grant": grant,
            "purposes": [s.purposes.get(dataset, ["public-service"])[0]],
            "status": "requested",
            "system_id": s.number,
            "units": ["33"],
            "version": 1,
        }
        request = {"action": "grant.request", "actor": s.actor(), "dataset": dataset}
        self.log.add(at, request | {"detail": detail, "outcome": "ok"}, tag)
        steward = {
            "kind": "person",
            "name": "Trần Thị Lan",
            "organisation": "H33.01",
            "person": 7,
            "token": 3,
        }
        approved = detail | {"decided_by": "person:7", "status": "approved"}
        approval = {"action": "grant.approve", "actor": steward, "dataset": dataset}
        self.log.add(at + approve_after, approval | {"detail": approved, "outcome": "ok"}, tag)
        return at + approve_after

    def ingest(
        self, at: datetime, org: str, code: str, quarantined: int, tag: str | None = None
    ) -> None:
        loaded = self.rng.randint(2000, 20000)
        entry = {
            "action": "ingest.batch",
            "actor": {"kind": "operator", "user": "ingest", "via": "cli"},
            "count": loaded + quarantined,
            "counts": {
                "inserted": loaded // 10,
                "loaded": loaded,
                "quarantined": quarantined,
                "unchanged": loaded - loaded // 10,
                "updated": 0,
            },
            "dataset": "citizen",
            "detail": {
                "batch": f"{self.rng.getrandbits(64):016x}",
                "checksum": f"sha256:{self.rng.getrandbits(256):064x}",
                "source": f"{code}-{at:%Y%m%d%H}.csv",
                "standard_version": 1,
                "system": f"{org}/{code}",
            },
            "outcome": "ok",
        }
        self.log.add(at, entry, tag)
