"""Land parcels (*thửa đất*) of the cadastral register, held by persons or businesses.

The land office's register predates the 2025 reform: its rows carry pre-2025 commune codes.
A person holder's birth is on file as a full date (written dd/mm/yyyy), as a year alone, or
not at all.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from lienthong.sample.businesses import Businesses
from lienthong.sample.communes import Province
from lienthong.sample.people import REFERENCE_DATE, Population
from lienthong.sample.truth import SourceFile

HOLDER_SHARE = 0.35
BUSINESS_HOLDER_SHARE = 0.25
# Shares of person holders whose birth the register has as a date, as a year alone (the rest:
# nothing).
BIRTH_DATE_SHARE, BIRTH_YEAR_SHARE = 0.55, 0.30
# (land-use type, share, area range m²) for persons; wards hold ODT instead of ONT.
PERSON_USES = (("ONT", 0.5, (80, 400)), ("LUC", 0.3, (300, 2500)), ("CLN", 0.1, (200, 1500)),
               ("BHK", 0.05, (150, 1200)), ("NTS", 0.05, (500, 5000)))  # fmt: skip
BUSINESS_USES = (("SKC", 0.6, (1000, 20000)), ("TMD", 0.4, (200, 5000)))


def make_land(
    rng: np.random.Generator, pop: Population, firms: Businesses, place: Province, name: str
) -> SourceFile:
    by_code = {c.code: c for c in place.communes}
    adult = np.array([(REFERENCE_DATE - b).days > 25 * 365 for b in pop.birth])
    holders = np.flatnonzero(adult & (rng.random(len(pop)) < HOLDER_SHARE))
    parcels = rng.choice(np.array([1, 2, 3]), size=len(holders), p=[0.6, 0.3, 0.1])
    # (entity, holder id, holder name, 2025 commune, use, area range)
    plan: list[tuple[str, str, str, str, str, tuple[int, int]]] = []
    born = {pop.entity[i]: pop.birth[i] for i in holders.tolist()}
    uses = rng.choice(len(PERSON_USES), size=int(parcels.sum()), p=[u[1] for u in PERSON_USES])
    u = 0
    for i, n in zip(holders.tolist(), parcels.tolist(), strict=True):
        for _ in range(n):
            use, _, span = PERSON_USES[int(uses[u])]
            u += 1
            if use == "ONT" and by_code[pop.commune[i]].urban:
                use = "ODT"
            plan.append(
                (pop.entity[i], pop.personal_id[i], pop.full_name[i], pop.commune[i], use, span)
            )
    held = np.flatnonzero(rng.random(len(firms.entity)) < BUSINESS_HOLDER_SHARE)
    for k in held.tolist():
        use, _, span = BUSINESS_USES[int(rng.integers(0, len(BUSINESS_USES)))]
        plan.append(
            (firms.entity[k], firms.tax_code[k], firms.name[k], firms.commune[k], use, span)
        )
    taken: set[tuple[str, int, int]] = set()
    rows = []
    low = np.array([p[5][0] for p in plan])
    high = np.array([p[5][1] for p in plan])
    areas = np.round(low + rng.random(len(plan)) * (high - low), 1)
    for k, (entity, holder, holder_name, commune, use, _) in enumerate(plan):
        olds = by_code[commune].predecessors
        if not olds:  # a commune no pre-2025 unit maps to alone has no old register rows
            continue
        while True:
            key = (commune, int(rng.integers(1, 61)), int(rng.integers(1, 1500)))
            if key not in taken:
                taken.add(key)
                break
        old = olds[int(rng.integers(0, len(olds)))]
        rows.append((old, key[1], key[2], f"{areas[k]:.1f}", use, holder, holder_name, entity))
    order = rng.permutation(len(rows)).tolist()
    rows = [rows[i] for i in order]
    columns = ("commune_code", "map_sheet", "parcel_number", "area_m2", "land_use_type",
               "holder_id", "holder_name")  # fmt: skip
    values: dict[str, list[str | None]] = {
        c: [str(r[i]) for r in rows] for i, c in enumerate(columns)
    }
    values["holder_birth_date"], values["holder_birth_year"] = _births(
        rng, [born.get(str(r[7])) for r in rows]
    )
    return SourceFile(
        name=name, standard="land_parcel", columns=values, entity=[r[7] for r in rows]
    )


def _births(
    rng: np.random.Generator, births: list[date | None]
) -> tuple[list[str | None], list[str | None]]:
    """(date as the clerk writes it, year alone) of each row's holder (drawn last, so that the
    rest of the register is what it was before births were kept)."""
    draws = rng.random(len(births)).tolist()
    dates: list[str | None] = []
    years: list[str | None] = []
    for birth, u in zip(births, draws, strict=True):
        full = birth is not None and u < BIRTH_DATE_SHARE
        alone = birth is not None and not full and u < BIRTH_DATE_SHARE + BIRTH_YEAR_SHARE
        dates.append(birth.strftime("%d/%m/%Y") if full and birth else None)
        years.append(str(birth.year) if alone and birth else None)
    return dates, years
