"""The rates the generator aims at: one place, read by the generator, the manifest and the
tests. Each rate is a probability over the records (or persons) it can apply to."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SPEC_VERSION = "holdout-1"


@dataclass(frozen=True)
class PopulationRates:
    """The make-up of the true population."""

    in_register: float = 0.95
    in_health: float = 0.60
    second_card: float = 0.025  # of card holders: a renewed card still in the export
    adult_land_holder: float = 0.35  # of persons 18 or older
    parcels: tuple[float, ...] = (0.65, 0.25, 0.07, 0.02, 0.01)  # holders with 1, 2, … parcels
    born_outside: float = 0.15  # personal ID registered in another province
    twin_pairs: float = 0.005  # pairs per person
    namesake_pairs: float = 0.005  # planted pairs per person (chance adds more)
    movers: float = 0.03
    old_id_if_born_before_2000: float = 0.75  # still hold a 9-digit CMND
    phone_if_16_or_older: float = 0.75
    two_middle_female: float = 0.12
    two_middle_male: float = 0.04


@dataclass(frozen=True)
class NameRates:
    """How a source renders a name. ``reversed`` and ``typo`` exclude each other."""

    all_caps: float
    no_diacritics: float  # of names that have any
    reversed: float  # "Given Family Middle"
    typo: float  # one letter substituted, dropped or doubled, or a wrong tone mark
    whitespace: float  # double space inside, or a leading/trailing space
    nfd: float  # of names still carrying diacritics after the above


@dataclass(frozen=True)
class RecordRates:
    """How a source renders the rest of a record."""

    name: NameRates
    day_month_swapped: float  # of full birth dates whose day and month are both ≤ 12 and differ
    id_missing: float
    id_old_cmnd: float  # of persons who hold a CMND, among records with an ID
    id_transposed: float  # of records carrying the personal ID
    id_wrong_digit: float  # of records carrying the personal ID
    commune_pre2025: float
    stale_commune_if_moved: float  # a mover's record that still names the former commune
    birth_year_only: float = 0.0
    birth_missing: float = 0.0


REGISTER = RecordRates(
    name=NameRates(
        all_caps=0.02, no_diacritics=0.01, reversed=0.005, typo=0.01, whitespace=0.02, nfd=0.05
    ),
    day_month_swapped=0.004,
    id_missing=0.0,
    id_old_cmnd=0.0,
    id_transposed=0.002,
    id_wrong_digit=0.002,
    commune_pre2025=0.0,
    stale_commune_if_moved=0.0,
)
HEALTH = RecordRates(
    name=NameRates(
        all_caps=0.25, no_diacritics=0.30, reversed=0.01, typo=0.02, whitespace=0.03, nfd=0.03
    ),
    day_month_swapped=0.015,
    id_missing=0.25,
    id_old_cmnd=0.04,
    id_transposed=0.01,
    id_wrong_digit=0.01,
    commune_pre2025=0.05,
    stale_commune_if_moved=0.5,
)
LAND = RecordRates(
    name=NameRates(
        all_caps=0.15, no_diacritics=0.05, reversed=0.02, typo=0.025, whitespace=0.03, nfd=0.05
    ),
    day_month_swapped=0.02,
    id_missing=0.2,
    id_old_cmnd=0.45,
    id_transposed=0.01,
    id_wrong_digit=0.01,
    commune_pre2025=0.40,
    stale_commune_if_moved=0.7,
    birth_year_only=0.35,
    birth_missing=0.15,
)
POPULATION = PopulationRates()


def as_dict() -> dict[str, Any]:
    """Every rate, for the manifest."""
    return {
        "population": asdict(POPULATION),
        "population.csv": asdict(REGISTER),
        "health_insurance.csv": asdict(HEALTH),
        "land.csv": asdict(LAND),
    }
