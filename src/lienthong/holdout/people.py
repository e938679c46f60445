"""The true population: one row per person, held column-wise in numpy arrays so that a
million people fit in a few tens of megabytes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lienthong.holdout import names
from lienthong.holdout.places import OUTSIDE_PROVINCES, Province
from lienthong.holdout.rates import PopulationRates

FIRST_YEAR, LAST_YEAR = 1930, 2022
REFERENCE_YEAR = 2025  # ages are taken in this year
NONE = -1
# Mobile prefixes after the leading 0 (Viettel, Vinaphone, Mobifone, …).
PHONE_PREFIXES = (
    32, 33, 34, 35, 36, 37, 38, 39, 86, 96, 97, 98, 81, 82, 83, 84, 85, 88, 91, 94,
    70, 76, 77, 78, 79, 89, 90, 93, 56, 58, 59,
)  # fmt: skip
# First two digits of a 9-digit CMND by the province that issued it.
CMND_PREFIX = {33: 14, 34: 15, 1: 1, 31: 3, 30: 14, 36: 16, 35: 16, 37: 16}
CMND_PREFIX_ELSEWHERE = 17
HAMLETS = 24  # address variants per commune (see register.py)


@dataclass
class Persons:
    """Columns of the true population; row i is entity ``entity_id(i)``."""

    female: np.ndarray  # bool
    dob: np.ndarray  # datetime64[D]
    family: np.ndarray  # name vocabulary indices
    middle1: np.ndarray
    middle2: np.ndarray  # names.NO_NAME when there is one middle name
    given: np.ndarray
    home: np.ndarray  # index into Province.communes
    former: np.ndarray  # the commune a mover left, or NONE
    birth_province: np.ndarray  # numeric province code of the birth registration
    pid: np.ndarray  # 12-digit personal ID as an integer
    old_id: np.ndarray  # 9-digit CMND as an integer, or NONE
    phone: np.ndarray  # the nine digits after the leading 0, or NONE
    hamlet: np.ndarray
    house: np.ndarray
    social_no: np.ndarray  # 10-digit social-insurance number (on health cards)
    twin_of: np.ndarray  # the other twin's row, or NONE
    id_width: int = 6  # digits in an entity id: P000123

    def __len__(self) -> int:
        return len(self.female)

    @property
    def birth_year(self) -> np.ndarray:
        return self.dob.astype("datetime64[Y]").astype(np.int64) + 1970

    def entity_id(self, row: int) -> str:
        return f"P{row + 1:0{self.id_width}d}"

    def id_lookup(self) -> Callable[[str], bool]:
        """Whether a 12-digit value is some person's correct ID (a sorted array, not a set of
        strings: a million IDs stay eight megabytes)."""
        ordered = np.sort(self.pid)

        def taken(value: str) -> bool:
            number = int(value)
            i = int(np.searchsorted(ordered, number))
            return i < len(ordered) and int(ordered[i]) == number

        return taken

    def full_name(self, row: int) -> list[str]:
        tokens = [names.token(self.family[row]), names.token(self.middle1[row])]
        if self.middle2[row] != names.NO_NAME:
            tokens.append(names.token(self.middle2[row]))
        tokens.append(names.token(self.given[row]))
        return tokens


def unique_draw(rng: np.random.Generator, base: np.ndarray, span: int) -> np.ndarray:
    """``base + r`` with r in [0, span), drawn again until no two values are equal."""
    values = base + rng.integers(0, span, size=len(base))
    while True:
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        dup = order[1:][ordered[1:] == ordered[:-1]]
        if not len(dup):
            return values
        values[dup] = base[dup] + rng.integers(0, span, size=len(dup))


def _birth_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    # Fewer of the oldest generations are alive; births thin out again after 2015.
    weight = np.where(years < 1960, 0.1 + 0.9 * (years - FIRST_YEAR) / 30, 1.0)
    weight = np.where(years > 2015, 0.85, weight)
    year = rng.choice(years, size=n, p=weight / weight.sum())
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = ((year + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]") - start).astype(
        np.int64
    )
    return start + (rng.random(n) * length).astype(np.int64)


def _pair_up(rng: np.random.Generator, n: int, twins: int, namesakes: int) -> list[np.ndarray]:
    """Disjoint rows: twins' first and second, namesakes' first and second."""
    total = 2 * (twins + namesakes)
    if total > n:
        twins = namesakes = 0
        total = 0
    rows = rng.choice(n, size=total, replace=False)
    cuts = np.cumsum([twins, twins, namesakes])
    return np.split(rows, cuts)


def _make_twins(
    rng: np.random.Generator,
    p: dict[str, np.ndarray],
    first: np.ndarray,
    second: np.ndarray,
    rates: PopulationRates,
) -> None:
    """Second twins share birth date, family name, commune and home with the first; their
    given name differs."""
    for column in ("dob", "family", "home", "hamlet", "house", "birth_province"):
        p[column][second] = p[column][first]
    same_sex = rng.random(len(first)) < 0.65
    p["female"][second] = np.where(same_sex, p["female"][first], ~p["female"][first])
    year = p["dob"][second].astype("datetime64[Y]").astype(np.int64) + 1970
    drawn = names.draw_names(
        rng,
        p["female"][second],
        year,
        two_middle_female=rates.two_middle_female,
        two_middle_male=rates.two_middle_male,
    )
    keep = same_sex & (rng.random(len(first)) < 0.7)
    for column in ("middle1", "middle2"):
        p[column][second] = np.where(keep, p[column][first], getattr(drawn, column))
    p["given"][second] = drawn.given
    while True:
        bad = np.flatnonzero(
            (p["given"][second] == p["given"][first])
            | (p["given"][second] == p["middle1"][second])
            | (p["given"][second] == p["middle2"][second])
        )
        if not len(bad):
            break
        p["given"][second[bad]] = names.draw_given(rng, p["female"][second[bad]])
    p["twin_of"][first] = second
    p["twin_of"][second] = first


def _make_namesakes(
    rng: np.random.Generator, p: dict[str, np.ndarray], first: np.ndarray, second: np.ndarray
) -> None:
    """Strangers with the same full name, birth year and commune."""
    for column in ("female", "family", "middle1", "middle2", "given", "home"):
        p[column][second] = p[column][first]
    year = p["dob"][first].astype("datetime64[Y]")
    day = (rng.random(len(first)) * 365).astype(np.int64)
    p["dob"][second] = year.astype("datetime64[D]") + day


def _ids(rng: np.random.Generator, p: dict[str, np.ndarray], old_id_rate: float) -> None:
    year = p["dob"].astype("datetime64[Y]").astype(np.int64) + 1970
    century_sex = np.where(year >= 2000, 2, 0) + p["female"].astype(np.int64)
    head = p["birth_province"] * 1000 + century_sex * 100 + year % 100
    p["pid"] = unique_draw(rng, head * 1_000_000, 1_000_000)
    prefix = np.asarray(
        [CMND_PREFIX.get(int(v), CMND_PREFIX_ELSEWHERE) for v in p["birth_province"]],
        dtype=np.int64,
    )
    holds = (year < 2000) & (rng.random(len(year)) < old_id_rate)
    old = np.full(len(year), NONE, dtype=np.int64)
    old[holds] = unique_draw(rng, prefix[holds] * 10_000_000, 10_000_000)
    p["old_id"] = old


def draw_persons(
    rng: np.random.Generator, n: int, province: Province, rates: PopulationRates
) -> Persons:
    """The true population of ``n`` people living in ``province``."""
    communes = province.communes
    p: dict[str, np.ndarray] = {}
    p["female"] = rng.random(n) < 0.505
    p["dob"] = _birth_dates(rng, n)
    year = p["dob"].astype("datetime64[Y]").astype(np.int64) + 1970
    drawn = names.draw_names(
        rng,
        p["female"],
        year,
        two_middle_female=rates.two_middle_female,
        two_middle_male=rates.two_middle_male,
    )
    p.update(family=drawn.family, middle1=drawn.middle1, middle2=drawn.middle2, given=drawn.given)
    size = rng.gamma(3.0, size=len(communes)) * np.asarray(
        [2.0 if c.ward else 1.0 for c in communes]
    )
    p["home"] = rng.choice(len(communes), size=n, p=size / size.sum()).astype(np.int16)
    p["hamlet"] = rng.integers(0, HAMLETS, size=n).astype(np.int16)
    p["house"] = rng.integers(1, 250, size=n).astype(np.int16)
    province_of = np.asarray([int(c.old_province) for c in communes], dtype=np.int64)
    old_province = province_of[p["home"]]
    outside_codes = np.asarray([int(c) for c, _ in OUTSIDE_PROVINCES], dtype=np.int64)
    outside_w = np.asarray([w for _, w in OUTSIDE_PROVINCES], dtype=np.float64)
    birth = np.where(rng.random(n) < 0.9, old_province, 67 - old_province)  # 33 ↔ 34
    outside = rng.random(n) < rates.born_outside
    birth[outside] = rng.choice(
        outside_codes, size=int(outside.sum()), p=outside_w / outside_w.sum()
    )
    p["birth_province"] = birth
    p["twin_of"] = np.full(n, NONE, dtype=np.int64)
    twin_a, twin_b, same_a, same_b = _pair_up(
        rng, n, round(n * rates.twin_pairs), round(n * rates.namesake_pairs)
    )
    _make_twins(rng, p, twin_a, twin_b, rates)
    _make_namesakes(rng, p, same_a, same_b)
    _ids(rng, p, rates.old_id_if_born_before_2000)
    year = p["dob"].astype("datetime64[Y]").astype(np.int64) + 1970
    moves = rng.random(n) < rates.movers
    step = rng.integers(1, len(communes), size=n)
    p["former"] = np.where(moves, (p["home"] + step) % len(communes), NONE).astype(np.int16)
    has_phone = (year <= REFERENCE_YEAR - 16) & (rng.random(n) < rates.phone_if_16_or_older)
    prefixes = np.asarray(PHONE_PREFIXES, dtype=np.int64)
    number = rng.choice(prefixes, size=n) * 10_000_000 + rng.integers(0, 10_000_000, size=n)
    p["phone"] = np.where(has_phone, number, NONE)
    p["phone"][twin_b] = p["phone"][twin_a]  # the parents' number
    old_province = province_of[p["home"]]
    social_head = np.where(old_province == 34, 34, 33) * 100_000_000
    p["social_no"] = unique_draw(rng, social_head, 100_000_000)
    return Persons(**p, id_width=max(6, len(str(n))))
