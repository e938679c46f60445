"""``generate_province``: the sectoral exports of a synthetic province, with their ground truth."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lienthong.errors import ErrorDetail, ValidationFailed
from lienthong.sample import mess
from lienthong.sample.businesses import make_businesses
from lienthong.sample.communes import province as load_province
from lienthong.sample.health import health_cards
from lienthong.sample.land import make_land
from lienthong.sample.mappings import (
    LAND_HEADERS,
    citizen_mapping,
    land_mapping,
    lapsed_cards_mapping,
)
from lienthong.sample.people import REFERENCE_DATE, citizens, make_population
from lienthong.sample.truth import SourceFile, truth_document, write_truth
from lienthong.sample.writers import (
    write_csv,
    write_json,
    write_jsonl,
    write_legacy_csv,
    write_xlsx,
)

INVALID_OPTION = "invalid-sample-option"
DEFAULT_PERSONS = 2_000
DEFAULT_SEED = 1
DEFAULT_PROVINCE = "33"
CITIZENS = "citizens.csv"
BUSINESSES = "businesses.xlsx"
HEALTH = "health_insurance.jsonl"
LAPSED = "health_insurance_2024.jsonl"
LAND = "land_parcels.csv"
# The snapshot's date: every file describes the province as on this day (stable across runs).
GENERATED_AT = f"{REFERENCE_DATE.isoformat()}T00:00:00+07:00"


@dataclass(frozen=True)
class FileSummary:
    name: str
    standard: str
    rows: int
    invalid: int
    mapping: str | None


@dataclass
class SampleSummary:
    out_dir: str
    province: str
    persons: int
    seed: int
    noise: float
    files: list[FileSummary] = field(default_factory=list)
    entities: int = 0
    truth: str = ""
    seconds: float = 0.0


def _bad_option(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, code=INVALID_OPTION, details=[ErrorDetail(field, INVALID_OPTION, message)]
    )


def _conflict(column: str, make: mess.Change | None = None) -> mess.Change:
    """A repeated key whose copy differs in ``column`` (still a valid value)."""

    def change(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
        value = file.columns[column][i]
        file.columns[column][i] = f"{value} (cập nhật)" if value else "Thôn Mới"
        return True

    return make or change


def _swap_status(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
    status = file.columns["status"][i]
    file.columns["status"][i] = "suspended" if status == "active" else "active"
    return True


def _later_end(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
    value = file.columns["valid_to"][i]
    file.columns["valid_to"][i] = f"{int(value[:4]) + 1}{value[4:]}"
    return True


def _other_area(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
    file.columns["area_m2"][i] = f"{float(file.columns['area_m2'][i]) + 10:.1f}"
    return True


def generate_province(
    out_dir: Path | str,
    *,
    persons: int = DEFAULT_PERSONS,
    seed: int = DEFAULT_SEED,
    noise: float = mess.DEFAULT_NOISE,
    province: str = DEFAULT_PROVINCE,
) -> SampleSummary:
    """Write the citizen, business, health-insurance and land files of a synthetic province
    and ``truth.json`` into ``out_dir``; the same arguments give byte-identical files."""
    if persons < 1:
        raise _bad_option("persons", "persons must be at least 1")
    if not 0 <= noise <= 0.5:
        raise _bad_option("noise", "noise must be between 0 and 0.5")
    try:
        place = load_province(province)
    except ValueError as error:
        raise _bad_option("province", str(error)) from error
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]

    pop = make_population(rngs[0], place, persons)
    people = citizens(pop, CITIZENS)
    people.mapping = "citizens.mapping.json"
    mess.defects(people, rngs[1], noise, mess.CITIZEN_DEFECTS)
    mess.cosmetic(people, rngs[1], 2 * noise, mess.CITIZEN_COSMETIC, skip=set(people.invalid))
    mess.duplicates(people, rngs[1], noise, _conflict("address_line"))

    firms = make_businesses(rngs[2], pop, place, BUSINESSES)
    business = firms.file
    mess.defects(business, rngs[3], noise, mess.BUSINESS_DEFECTS)
    mess.cosmetic(business, rngs[3], 2 * noise, mess.BUSINESS_COSMETIC,
                  skip=set(business.invalid))  # fmt: skip
    mess.duplicates(business, rngs[3], noise, _swap_status)

    health, lapsed = health_cards(rngs[4], pop, place, HEALTH, LAPSED)
    lapsed.mapping = "health_insurance_2024.mapping.json"
    for cards, kinds in ((health, mess.HEALTH_DEFECTS),
                         (lapsed, mess.lapsed_card_defects(place.ambiguous_old))):  # fmt: skip
        mess.defects(cards, rngs[5], noise, kinds)
        mess.cosmetic(cards, rngs[5], 2 * noise, mess.PERSON_VARIANTS, skip=set(cards.invalid))
        mess.duplicates(cards, rngs[5], noise, _later_end)

    land = make_land(rngs[6], pop, firms, place, LAND)
    land.mapping = "land_parcels.mapping.json"
    successor = {old: c.code for c in place.communes for old in c.predecessors}
    cols = land.columns
    keys = {
        (successor[c], s, p)
        for c, s, p in zip(cols["commune_code"], cols["map_sheet"], cols["parcel_number"],
                           strict=True)
    }  # fmt: skip
    mess.defects(land, rngs[7], noise, mess.land_defects(place.ambiguous_old, keys))
    mess.cosmetic(land, rngs[7], 2 * noise, mess.HOLDER_VARIANTS, skip=set(land.invalid))
    mess.duplicates(land, rngs[7], noise, _other_area)

    write_csv(people, out / CITIZENS)
    write_json(out / people.mapping, citizen_mapping(list(people.columns)))
    write_xlsx(business, out / BUSINESSES, date_fields={"registration_date"},
               bool_fields={"has_website"})  # fmt: skip
    write_jsonl(health, out / HEALTH)
    write_jsonl(lapsed, out / LAPSED)
    write_json(out / lapsed.mapping, lapsed_cards_mapping(list(lapsed.columns)))
    write_legacy_csv(land, out / LAND, LAND_HEADERS)
    write_json(out / land.mapping, land_mapping())

    files = [people, business, health, lapsed, land]
    document = truth_document(
        seed=seed, province=province, persons=persons, generated_at=GENERATED_AT, files=files
    )
    truth_path = write_truth(out, document)
    return SampleSummary(
        out_dir=str(out),
        province=province,
        persons=persons,
        seed=seed,
        noise=noise,
        files=[FileSummary(f.name, f.standard, len(f), len(f.invalid), f.mapping) for f in files],
        entities=len(document["entities"]),
        truth=str(truth_path),
        seconds=round(time.perf_counter() - started, 3),
    )
