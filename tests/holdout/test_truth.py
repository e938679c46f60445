"""The truth file covers every data row exactly once, and its entities agree with the rows."""

from __future__ import annotations

from tests.holdout.dataset import BIRTH_FIELD, SOURCES, DataSet, parse_date, read_csv


def test_every_row_of_every_source_is_in_the_truth_once(data: DataSet) -> None:
    rows = read_csv(data.root / "truth.csv")
    keys = [(r["source"], int(r["record_id"])) for r in rows]
    assert len(keys) == len(set(keys))
    for source in SOURCES:
        n = len(data.sources[source])
        assert n > 0
        assert sorted(i for s, i in keys if s == source) == list(range(1, n + 1))
    assert {s for s, _ in keys} == set(SOURCES)


def test_manifest_counts_the_rows_of_each_file(data: DataSet) -> None:
    files = data.manifest["files"]
    assert isinstance(files, dict)
    for source in SOURCES:
        assert files[source] == len(data.sources[source])
    assert files["truth.csv"] == sum(len(data.sources[s]) for s in SOURCES)
    assert files["entities.csv"] == len(data.entities) == data.manifest["persons"]


def test_entity_ids_name_true_persons_whose_sex_and_birth_year_match(data: DataSet) -> None:
    for source in SOURCES:
        for row, person in data.records(source):
            if "sex" in row:
                assert row["sex"] == person["sex"]
            birth = row[BIRTH_FIELD[source]]
            if birth:
                year = int(birth) if len(birth) == 4 else parse_date(birth)[0]
                assert year == parse_date(person["date_of_birth"])[0]


def test_a_person_has_one_register_record_and_at_most_two_cards(data: DataSet) -> None:
    register = data.truth["population.csv"]
    assert len(register) == len(set(register))
    cards: dict[str, int] = {}
    for entity in data.truth["health_insurance.csv"]:
        cards[entity] = cards.get(entity, 0) + 1
    assert set(cards.values()) == {1, 2}


def test_entity_ids_follow_the_pattern(data: DataSet) -> None:
    assert "P000123" in data.entities
    assert all(e.startswith("P") and len(e) == 7 for e in data.entities)
