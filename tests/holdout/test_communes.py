"""Commune codes: 2025 codes of Hưng Yên, or real pre-2025 predecessors of the right one."""

from __future__ import annotations

from tests.holdout.dataset import REGISTRY_DATA, SOURCES, DataSet, codes_2025, read_csv, successors


def _province_33() -> set[str]:
    rows = read_csv(REGISTRY_DATA / "units_2025.csv")
    return {r["code"] for r in rows if r["level"] == "commune" and r["parent_code"] == "33"}


def test_persons_live_in_hung_yen_2025_communes(data: DataSet) -> None:
    mine = _province_33()
    assert all(p["commune_code"] in mine for p in data.entities.values())
    assert {p["commune_code"] for p in data.entities.values()} == mine
    assert all(row["commune_code"] in mine for row in data.sources["population.csv"])


def test_land_pre2025_codes_are_predecessors_of_the_persons_commune(data: DataSet) -> None:
    old = 0
    for row, person in data.records("land.csv"):
        code = row["commune_code"]
        if code in codes_2025():
            continue
        old += 1
        became = successors()[code]  # a real pre-2025 code: KeyError otherwise
        assert person["commune_code"] in became or person["former_commune_code"] in became
    share = old / len(data.sources["land.csv"])
    assert 0.36 < share < 0.44  # the spec: about 40%


def test_only_land_and_health_carry_pre2025_codes(data: DataSet) -> None:
    olds = {
        source: sum(1 for r in data.sources[source] if r["commune_code"] not in codes_2025())
        for source in SOURCES
    }
    assert olds["population.csv"] == 0
    assert 0 < olds["health_insurance.csv"] < olds["land.csv"]


def test_a_moved_persons_other_commune_is_the_former_one(data: DataSet) -> None:
    moved = 0
    for source in SOURCES:
        for row, person in data.records(source):
            became = (
                {row["commune_code"]}
                if row["commune_code"] in codes_2025()
                else successors()[row["commune_code"]]
            )
            if person["commune_code"] not in became:
                moved += 1
                assert person["former_commune_code"] in became
    assert moved > 0
