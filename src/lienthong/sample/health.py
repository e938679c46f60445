"""Health-insurance cards (*thẻ BHYT*) of the population, before any mess."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from lienthong.sample.communes import Province
from lienthong.sample.identifiers import unique_numbers
from lienthong.sample.people import REFERENCE_DATE, Population
from lienthong.sample.truth import SourceFile

HEALTH_COVERAGE = 0.9


def _object_code(age: int, rng_value: float) -> str:
    """The beneficiary group printed first on a card (children, pupils, employees, …)."""
    if age < 6:
        return "TE"
    if age < 18:
        return "HS"
    if age < 22 and rng_value < 0.5:
        return "SV"
    if age >= 60:
        return "HT" if rng_value < 0.6 else "CB"
    return "DN" if rng_value < 0.45 else ("GD" if rng_value < 0.85 else "HN")


def _cards(
    rng: np.random.Generator,
    pop: Population,
    holders: list[int],
    numbers: np.ndarray,
    starts: list[date],
    communes: list[str],
    name: str,
) -> SourceFile:
    """One card per holder (valid one year from its start), ordered by card number."""
    count = len(holders)
    level = rng.choice(np.array([1, 2, 3, 4, 5]), size=count, p=[0.08, 0.12, 0.15, 0.6, 0.05])
    draws = rng.random(count)
    rows = []
    for k, i in enumerate(holders):
        age = (REFERENCE_DATE - pop.birth[i]).days // 365
        province = pop.personal_id[i][1:3] if pop.personal_id[i][:3] in ("033", "034") else "33"
        card = f"{_object_code(age, draws[k])}{level[k]}{province}{numbers[i]:010d}"
        valid_from = starts[k]
        valid_to = date(valid_from.year + 1, valid_from.month, valid_from.day) - timedelta(days=1)
        rows.append((card, i, valid_from, valid_to, communes[k]))
    rows.sort()
    return SourceFile(
        name=name,
        standard="health_insurance",
        columns={
            "card_number": [r[0] for r in rows],
            "personal_id": [pop.personal_id[r[1]] for r in rows],
            "full_name": [pop.full_name[r[1]] for r in rows],
            "sex": [str(pop.sex[r[1]]) for r in rows],
            "date_of_birth": [pop.birth[r[1]].isoformat() for r in rows],
            "commune_code": [r[4] for r in rows],
            "valid_from": [r[2].isoformat() for r in rows],
            "valid_to": [r[3].isoformat() for r in rows],
        },
        entity=[pop.entity[r[1]] for r in rows],
    )


def health_cards(
    rng: np.random.Generator, pop: Population, place: Province, name: str, lapsed_name: str
) -> tuple[SourceFile, SourceFile]:
    """Current cards for most persons, and the insurer's older export of the cards of the others.

    Every person has one social-insurance number for life (the card's last ten digits). The
    current cards start between 2025-07-01 and 2025-10-31 and carry 2025 commune codes. The
    older export holds the cards of persons without a current card: most started between
    2024-07-01 and 2025-06-30 and carry the pre-2025 code of the person's commune; a few
    started after the reform and carry its 2025 code.
    """
    numbers = unique_numbers(rng, len(pop), 10)
    covered = rng.random(len(pop)) < HEALTH_COVERAGE
    current = np.flatnonzero(covered).tolist()
    start = rng.integers(0, 123, size=len(current)).tolist()
    cards = _cards(
        rng, pop, current, numbers,
        [REFERENCE_DATE + timedelta(days=d) for d in start],
        [pop.commune[i] for i in current], name,
    )  # fmt: skip
    by_code = {c.code: c for c in place.communes}
    lapsed = np.flatnonzero(~covered).tolist()
    offsets = rng.integers(-365, 123, size=len(lapsed)).tolist()
    after = rng.random(len(lapsed)) < 0.05
    picks = rng.random(len(lapsed)).tolist()
    starts, communes = [], []
    for k, i in enumerate(lapsed):
        olds = by_code[pop.commune[i]].predecessors
        if after[k] or not olds:
            starts.append(REFERENCE_DATE + timedelta(days=abs(offsets[k]) % 123))
            communes.append(pop.commune[i])
        else:
            starts.append(REFERENCE_DATE - timedelta(days=1 + abs(offsets[k]) % 365))
            communes.append(olds[int(picks[k] * len(olds))])
    return cards, _cards(rng, pop, lapsed, numbers, starts, communes, lapsed_name)
