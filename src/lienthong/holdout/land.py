"""``land.csv``: land-use rights (*quyền sử dụng đất*) as the land registry exports them,
one row per parcel with its single holder. Parcels registered before the 2025 reform still
carry the pre-2025 commune code; many holders are on file under their old 9-digit CMND."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lienthong.holdout.people import REFERENCE_YEAR, Persons
from lienthong.holdout.rates import PopulationRates
from lienthong.holdout.records import U_BIRTH, Chunk, Clerk, chunks, draws, stream

HEADER = (
    "commune_code",
    "map_sheet",
    "parcel_number",
    "area_m2",
    "land_use_type",
    "holder_id",
    "holder_name",
    "holder_birth",
)
KEY = 3
ADULT = 18
PARCELS_PER_SHEET = 400  # numbers a map sheet holds
MIN_SHEETS = 40  # a commune's cadastral map has dozens of sheets
FILL = 0.6  # at most this share of a commune's numbers held by the persons generated
# Area ranges (m²) by land-use type: rural and urban homes, paddy, perennial crops, ponds.
AREA = {
    "ONT": (80, 450),
    "ODT": (40, 180),
    "LUC": (150, 2500),
    "CLN": (200, 3000),
    "NTS": (300, 6000),
}
FARMLAND = (("LUC", 0.55), ("CLN", 0.25), ("NTS", 0.20))


def _slots(
    rng: np.random.Generator, persons: Persons, rates: PopulationRates
) -> tuple[np.ndarray, np.ndarray]:
    """(holder row, parcel ordinal of that holder) for every parcel, in export order."""
    adult = persons.birth_year <= REFERENCE_YEAR - ADULT
    holders = np.flatnonzero(adult & (rng.random(len(persons)) < rates.adult_land_holder))
    counts = rng.choice(
        np.arange(1, len(rates.parcels) + 1), size=len(holders), p=np.asarray(rates.parcels)
    )
    slots = np.repeat(holders, counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    ordinal = np.arange(len(slots)) - first
    order = rng.permutation(len(slots))
    return slots[order], ordinal[order]


def _communes(
    seed: int, persons: Persons, slots: np.ndarray, clerk: Clerk
) -> tuple[list[str], list[bool]]:
    """Each parcel's commune code as written, and whether the parcel lies in a ward."""
    codes: list[str] = []
    for number, part in chunks(slots):
        rng = stream(seed, KEY, 1, number)
        homes = persons.home[part].tolist()
        formers = persons.former[part].tolist()
        for j, u in enumerate(draws(rng, len(part))):
            codes.append(clerk.commune(homes[j], formers[j], u))
    ward = {c.code for c in clerk.province.communes if c.ward}
    wards = [bool(clerk.province.successors_of(code) & ward) for code in codes]
    return codes, wards


def _numbers(rng: np.random.Generator, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(map sheet, parcel number), unique within each written commune code."""
    sheet = np.empty(len(codes), dtype=np.int64)
    parcel = np.empty(len(codes), dtype=np.int64)
    names, group = np.unique(np.asarray(codes), return_inverse=True)
    order = np.argsort(group, kind="stable")
    bounds = np.cumsum(np.bincount(group, minlength=len(names)))
    for rows in np.split(order, bounds[:-1]):
        sheets = max(MIN_SHEETS, int(np.ceil(len(rows) / FILL / PARCELS_PER_SHEET)))
        space = sheets * PARCELS_PER_SHEET
        picks = rng.choice(space, size=len(rows), replace=False)
        sheet[rows] = picks // PARCELS_PER_SHEET + 1
        parcel[rows] = picks % PARCELS_PER_SHEET + 1
    return sheet, parcel


def _use(ordinal: int, ward: bool, u: float) -> str:
    home = "ODT" if ward else "ONT"
    if u < (0.7 if ordinal == 0 else 0.1):
        return home
    u = (u - (0.7 if ordinal == 0 else 0.1)) / (0.3 if ordinal == 0 else 0.9)
    for code, weight in FARMLAND:
        if u < weight:
            return code
        u -= weight
    return FARMLAND[-1][0]


def rows(
    *, seed: int, persons: Persons, clerk: Clerk, rates: PopulationRates
) -> Iterator[tuple[list[tuple[str, ...]], list[str]]]:
    """The parcel rows and their holders' entity ids, a chunk at a time, in export order."""
    rng = stream(seed, KEY)
    slots, ordinals = _slots(rng, persons, rates)
    codes, wards = _communes(seed, persons, slots, clerk)
    sheets, parcels = _numbers(rng, codes)
    r = clerk.rates
    for number, part in chunks(np.arange(len(slots))):
        rng = stream(seed, KEY, 2, number)
        chunk = Chunk(persons, slots[part])
        extra = rng.random((len(chunk), 2)).tolist()
        out: list[tuple[str, ...]] = []
        for j, u in enumerate(draws(rng, len(chunk))):
            i = int(part[j])
            use = _use(int(ordinals[i]), wards[i], extra[j][0])
            low, high = AREA[use]
            birth = ""
            if u[U_BIRTH] < r.birth_missing:
                clerk.tags["birth_missing"] += 1
            elif u[U_BIRTH] < r.birth_missing + r.birth_year_only:
                clerk.tags["birth_year_only"] += 1
                birth = f"{chunk.year[j]:04d}"
            else:
                y, m, d = clerk.birth_date(chunk.year[j], chunk.month[j], chunk.day[j], u)
                birth = f"{d:02d}/{m:02d}/{y:04d}"
            out.append(
                (
                    codes[i],
                    str(sheets[i]),
                    str(parcels[i]),
                    f"{low * (high / low) ** extra[j][1]:.1f}",
                    use,
                    clerk.personal_id(chunk.pid[j], chunk.old_id[j], u, rng),
                    clerk.name(chunk.name[j], u, rng),
                    birth,
                )
            )
        yield out, chunk.entity
