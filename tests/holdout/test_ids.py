"""Every correct personal ID follows the rules; wrong ones in records are a clerk's slips."""

from __future__ import annotations

import polars as pl

from lienthong.standards.identifiers import PersonalId
from tests.holdout.dataset import ID_FIELD, SOURCES, DataSet, id_cases, parse_date

HOME_PROVINCES = {"033", "034"}


def _obeys_rules(pid: str, sex: str, year: int) -> bool:
    century_sex = (0 if year < 2000 else 2) + (1 if sex == "2" else 0)
    return (
        len(pid) == 12
        and pid.isdigit()
        and 1 <= int(pid[:3]) <= 96
        and pid[3] == str(century_sex)
        and pid[4:6] == f"{year % 100:02d}"
    )


def test_every_correct_id_obeys_the_rules_and_agrees_with_sex_and_year(data: DataSet) -> None:
    people = list(data.entities.values())
    for p in people:
        assert _obeys_rules(p["personal_id"], p["sex"], parse_date(p["date_of_birth"])[0]), p
    # The platform's own column rule agrees.
    frame = pl.DataFrame(
        {
            "pid": [p["personal_id"] for p in people],
            "sex": [p["sex"] for p in people],
            "year": [parse_date(p["date_of_birth"])[0] for p in people],
        }
    )
    rule = PersonalId(pl.col("pid"))
    checked = frame.select(
        ok=rule.ok, bad_sex=rule.disagrees_with_sex(pl.col("sex")), year=rule.birth_year
    )
    assert checked["ok"].all()
    assert not checked["bad_sex"].any()
    assert checked["year"].to_list() == frame["year"].to_list()


def test_no_two_persons_share_a_correct_id_or_an_old_id(data: DataSet) -> None:
    pids = [p["personal_id"] for p in data.entities.values()]
    olds = [p["old_id"] for p in data.entities.values() if p["old_id"]]
    assert len(set(pids)) == len(pids)
    assert len(set(olds)) == len(olds)
    assert all(len(o) == 9 and o.isdigit() for o in olds)


def test_most_ids_were_registered_at_home(data: DataSet) -> None:
    prefixes = [p["personal_id"][:3] for p in data.entities.values()]
    outside = sum(1 for x in prefixes if x not in HOME_PROVINCES) / len(prefixes)
    assert 0.12 < outside < 0.18  # the spec: about 15% from other provinces
    assert {"001", "031", "036", "037"} <= set(prefixes)


def test_a_wrong_id_in_a_record_is_a_slip_of_the_true_one_and_nobody_elses(data: DataSet) -> None:
    owners = {p["personal_id"]: e for e, p in data.entities.items()}
    slips = 0
    for source in SOURCES:
        for row, person in data.records(source):
            written = row[ID_FIELD[source]]
            cases = id_cases(written, person)  # asserts the ID is one of the known shapes
            if cases & {"id_transposed", "id_wrong_digit"}:
                slips += 1
                assert written not in owners
            elif not cases:
                assert owners[written] == person["entity_id"]
    assert slips > 0
