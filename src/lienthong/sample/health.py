"""Health-insurance cards (*thẻ BHYT*) of the population, before any mess."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

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


def health_cards(rng: np.random.Generator, pop: Population, name: str) -> SourceFile:
    """Cards for most persons, ordered by card number as an insurer's export would be."""
    holders = np.flatnonzero(rng.random(len(pop)) < HEALTH_COVERAGE)
    count = len(holders)
    insurance_numbers = unique_numbers(rng, count, 10)
    level = rng.choice(np.array([1, 2, 3, 4, 5]), size=count, p=[0.08, 0.12, 0.15, 0.6, 0.05])
    draws = rng.random(count)
    start = rng.integers(0, 123, size=count)  # renewed between 2025-07-01 and 2025-10-31
    rows = []
    for k, i in enumerate(holders.tolist()):
        birth = pop.birth[i]
        age = (REFERENCE_DATE - birth).days // 365
        province = pop.personal_id[i][1:3] if pop.personal_id[i][:3] in ("033", "034") else "33"
        card = f"{_object_code(age, draws[k])}{level[k]}{province}{insurance_numbers[k]:010d}"
        valid_from = REFERENCE_DATE + timedelta(days=int(start[k]))
        valid_to = date(valid_from.year + 1, valid_from.month, valid_from.day) - timedelta(days=1)
        rows.append((card, i, valid_from, valid_to))
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
            "commune_code": [pop.commune[r[1]] for r in rows],
            "valid_from": [r[2].isoformat() for r in rows],
            "valid_to": [r[3].isoformat() for r in rows],
        },
        entity=[pop.entity[r[1]] for r in rows],
    )
