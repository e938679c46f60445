"""The hard cases occur at the requested rates. Counts come from the files (each record
judged against its true person); the manifest must agree with them exactly."""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict

import pytest

from lienthong.holdout.rates import HEALTH, LAND, POPULATION, REGISTER, RecordRates
from tests.holdout.dataset import (
    BIRTH_FIELD,
    ID_FIELD,
    NAME_FIELD,
    SOURCES,
    DataSet,
    parse_date,
    record_cases,
    swappable,
    true_tokens,
)

RATES = {"population.csv": REGISTER, "health_insurance.csv": HEALTH, "land.csv": LAND}


def near(count: int, eligible: int, rate: float) -> bool:
    """``count`` is a plausible binomial draw of ``eligible`` trials at ``rate``."""
    mean = eligible * rate
    return abs(count - mean) <= 5 * math.sqrt(mean * (1 - rate)) + 3


def _counts(data: DataSet, source: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for row, person in data.records(source):
        found.update(record_cases(source, row, person))
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_manifest_counts_are_the_counts_in_the_files(data: DataSet, source: str) -> None:
    found = _counts(data, source)
    cases = data.manifest["hard_cases"]
    assert isinstance(cases, dict)
    claimed = {tag: n for tag, n in cases[source].items() if n}
    assert claimed == dict(found)


@pytest.mark.parametrize("source", SOURCES)
def test_each_hard_case_at_its_rate(data: DataSet, source: str) -> None:
    rates: RecordRates = RATES[source]
    r = rates.name
    eligible: Counter[str] = Counter()
    found: Counter[str] = Counter()
    moved_records = 0
    for row, person in data.records(source):
        cases = record_cases(source, row, person)
        found.update(cases)
        written = unicodedata.normalize("NFC", " ".join(row[NAME_FIELD[source]].split()))
        eligible["any"] += 1
        if not " ".join(true_tokens(person)).isascii():
            eligible["name_no_diacritics"] += 1
        if unicodedata.normalize("NFD", written) != written:
            eligible["name_nfd"] += 1
        birth = row[BIRTH_FIELD[source]]
        if len(birth) > 4 and swappable(person):
            eligible["dob_day_month_swapped"] += 1
        written_id = row[ID_FIELD[source]]
        if written_id and person["old_id"]:
            eligible["id_old_cmnd"] += 1
        if len(written_id) == 12:
            eligible["pid"] += 1
        if person["former_commune_code"]:
            moved_records += 1
    n = eligible["any"]
    checks = [
        ("name_all_caps", n, r.all_caps),
        ("name_reversed", n, r.reversed),
        ("name_typo", n, r.typo),
        ("name_whitespace", n, r.whitespace),
        ("name_no_diacritics", eligible["name_no_diacritics"], r.no_diacritics),
        ("name_nfd", eligible["name_nfd"], r.nfd),
        ("dob_day_month_swapped", eligible["dob_day_month_swapped"], rates.day_month_swapped),
        ("id_missing", n, rates.id_missing),
        ("id_old_cmnd", eligible["id_old_cmnd"], rates.id_old_cmnd),
        ("id_transposed", eligible["pid"], rates.id_transposed),
        ("id_wrong_digit", eligible["pid"], rates.id_wrong_digit),
        ("commune_pre2025", n, rates.commune_pre2025),
        ("commune_moved", moved_records, rates.stale_commune_if_moved),
        ("birth_year_only", n, rates.birth_year_only),
        ("birth_missing", n, rates.birth_missing),
    ]
    off = [(tag, found[tag], k, p) for tag, k, p in checks if not near(found[tag], k, p)]
    assert not off
    # Every kind of typo turns up where typos are made.
    assert all(found[f"name_typo_{kind}"] for kind in ("substitute", "drop", "double", "tone"))


def test_the_spec_figures(data: DataSet) -> None:
    persons = len(data.entities)
    register = len(data.sources["population.csv"]) / persons
    carded = len(set(data.truth["health_insurance.csv"])) / persons
    assert 0.93 < register < 0.97  # ≈ 95%
    assert 0.57 < carded < 0.63  # ≈ 60%
    cards = data.sources["health_insurance.csv"]
    assert 0.22 < sum(1 for c in cards if not c["personal_id"]) / len(cards) < 0.28  # ≈ 25%
    adults = [e for e, p in data.entities.items() if parse_date(p["date_of_birth"])[0] <= 2007]
    holders = set(data.truth["land.csv"])
    assert holders <= set(adults)
    assert 0.32 < len(holders) / len(adults) < 0.38  # ≈ 35%


def test_names_follow_vietnamese_frequencies(data: DataSet) -> None:
    family = Counter(p["family_name"] for p in data.entities.values())
    n = len(data.entities)
    for name, share in (("Nguyễn", 0.38), ("Trần", 0.11), ("Lê", 0.095), ("Phạm", 0.07)):
        assert near(family[name], n, share), name
    assert len(family) > 30
    middle = Counter((p["sex"], p["middle_name"].split()[0]) for p in data.entities.values())
    assert middle[("2", "Thị")] > middle[("1", "Thị")] == 0
    assert middle[("1", "Văn")] > middle[("2", "Văn")] == 0
    two = sum(1 for p in data.entities.values() if len(p["middle_name"].split()) == 2)
    assert 0.04 < two / n < 0.12
    given = Counter(p["given_name"] for p in data.entities.values())
    top = [g for g, _ in given.most_common(12)]
    assert {"Anh", "Hương", "Lan", "Hùng"} <= set(top)


def test_twins_namesakes_and_movers(data: DataSet) -> None:
    people = data.entities
    n = len(people)
    pairs = set()
    for e, p in people.items():
        if p["twin_of"]:
            other = people[p["twin_of"]]
            assert other["twin_of"] == e
            assert other["date_of_birth"] == p["date_of_birth"]
            assert other["family_name"] == p["family_name"]
            assert other["commune_code"] == p["commune_code"]
            assert other["given_name"] != p["given_name"]
            pairs.add(frozenset((e, p["twin_of"])))
    groups: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
    for e, p in people.items():
        groups[(" ".join(true_tokens(p)), p["date_of_birth"][:4], p["commune_code"])].append(e)
    namesakes = sum(len(g) for g in groups.values() if len(g) > 1)
    movers = sum(1 for p in people.values() if p["former_commune_code"])
    persons = data.manifest["hard_cases"]["persons"]  # type: ignore[index]
    assert persons["twin_pairs"] == len(pairs)
    assert persons["namesake_persons"] == namesakes
    assert persons["movers"] == movers
    assert near(len(pairs), n, POPULATION.twin_pairs)
    assert namesakes >= 2 * round(n * POPULATION.namesake_pairs)
    assert near(movers, n, POPULATION.movers)
    # Namesakes and twins are in the sources, where a linker meets them.
    seen = set(data.truth["population.csv"])
    assert sum(1 for g in groups.values() if len(g) > 1 and set(g) <= seen) > 0
    assert sum(1 for pair in pairs if pair <= seen) > 0
