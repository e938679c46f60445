"""``health_insurance.csv``: health-insurance cards (*thẻ BHYT*) as the social-insurance
office exports them. A card number is the holder's category (2 letters), benefit level
(1–5), the issuing province (2 digits) and the holder's 10-digit social-insurance number;
a renewed card keeps the number under a new category or province."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import numpy as np

from lienthong.holdout.people import Persons
from lienthong.holdout.rates import PopulationRates
from lienthong.holdout.records import Chunk, Clerk, chunks, draws, stream

HEADER = (
    "card_number",
    "personal_id",
    "full_name",
    "sex",
    "date_of_birth",
    "commune_code",
    "valid_from",
    "valid_to",
)
KEY = 2
LEVEL = {"TE": 1, "HN": 1, "CN": 2, "HT": 2, "HS": 4, "GD": 4, "DN": 4, "HC": 4}
# Categories by age, with weights.
CHILD = (("TE", 1.0),)
PUPIL = (("HS", 0.8), ("GD", 0.2))
WORKING = (("GD", 0.5), ("DN", 0.3), ("HC", 0.1), ("HN", 0.05), ("CN", 0.05))
RETIRED = (("HT", 0.4), ("GD", 0.5), ("HN", 0.05), ("CN", 0.05))
FIRST_MONTH = 2024 * 12 + 6  # current cards start from July 2024 (months since year 0) …
MONTHS = 18  # … over a year and a half
MERGER = date(2025, 7, 1)  # Thái Bình's cards are issued as Hưng Yên's after it


def category(age: int, u: float) -> str:
    table = CHILD if age < 6 else PUPIL if age < 18 else WORKING if age < 60 else RETIRED
    for code, weight in table:
        if u < weight:
            return code
        u -= weight
    return table[-1][0]


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _birthday(born: date, age: int) -> date:
    if (born.month, born.day) == (2, 29):
        return date(born.year + age, 3, 1)
    return born.replace(year=born.year + age)


@dataclass(frozen=True)
class Card:
    number: str
    valid_from: str
    valid_to: str


def card(
    *, social_no: int, born: date, start_index: int, u: float, old_province: str
) -> tuple[str, Card]:
    """A card valid for a year from the month ``start_index``; its category by the holder's
    age then (a child's card ends the day before the sixth birthday)."""
    start, end = _month(start_index), _month(start_index + 12) - timedelta(days=1)
    age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
    cat = category(age, u)
    if cat == "TE":
        end = min(end, _birthday(born, 6) - timedelta(days=1))
    province = "34" if old_province == "34" and start < MERGER else "33"
    return cat, Card(f"{cat}{LEVEL[cat]}{province}{social_no:010d}", _dmy(start), _dmy(end))


def renewed_card(
    *,
    social_no: int,
    born: date,
    start_index: int,
    u_now: float,
    u_before: float,
    old_province: str,
) -> Card:
    """The card a year before the current one, under another number prefix: the category
    or the issuing province changed, or the export would hold one number twice."""
    holder = partial(card, social_no=social_no, born=born, old_province=old_province)
    _, now = holder(start_index=start_index, u=u_now)
    cat, before = holder(start_index=start_index - 12, u=u_before)
    if before.number[:5] == now.number[:5]:
        other = "DN" if cat == "GD" else "GD"
        before = Card(
            f"{other}{LEVEL[other]}{before.number[3:]}", before.valid_from, before.valid_to
        )
    return before


def rows(
    *, seed: int, persons: Persons, clerk: Clerk, rates: PopulationRates
) -> Iterator[tuple[list[tuple[str, ...]], list[str]]]:
    """The card rows and their entity ids, a chunk at a time, in export order."""
    rng = stream(seed, KEY)
    holders = np.flatnonzero(rng.random(len(persons)) < rates.in_health)
    renewed = holders[rng.random(len(holders)) < rates.second_card]
    slots = np.concatenate([holders, renewed])
    older = np.concatenate([np.zeros(len(holders), bool), np.ones(len(renewed), bool)])
    order = rng.permutation(len(slots))
    slots, older = slots[order], older[order]
    start = FIRST_MONTH + rng.integers(0, MONTHS, size=len(persons))
    u_now, u_before = rng.random(len(persons)), rng.random(len(persons))
    communes = clerk.province.communes
    for number, part in chunks(np.arange(len(slots))):
        rng = stream(seed, KEY, 1, number)
        chunk = Chunk(persons, slots[part])
        is_older = older[part].tolist()
        out: list[tuple[str, ...]] = []
        for j, u in enumerate(draws(rng, len(chunk))):
            row = int(chunk.rows[j])
            args = {
                "social_no": int(persons.social_no[row]),
                "born": date(chunk.year[j], chunk.month[j], chunk.day[j]),
                "old_province": communes[chunk.home[j]].old_province,
            }
            if is_older[j]:
                issued = renewed_card(
                    start_index=int(start[row]),
                    u_now=float(u_now[row]),
                    u_before=float(u_before[row]),
                    **args,
                )
            else:
                _, issued = card(start_index=int(start[row]), u=float(u_now[row]), **args)
            year, month, day = clerk.birth_date(chunk.year[j], chunk.month[j], chunk.day[j], u)
            out.append(
                (
                    issued.number,
                    clerk.personal_id(chunk.pid[j], chunk.old_id[j], u, rng),
                    clerk.name(chunk.name[j], u, rng),
                    "2" if chunk.female[j] else "1",
                    f"{day:02d}/{month:02d}/{year:04d}",
                    clerk.commune(chunk.home[j], chunk.former[j], u),
                    issued.valid_from,
                    issued.valid_to,
                )
            )
        yield out, chunk.entity
