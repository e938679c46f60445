"""Each file looks the way its sector system exports it."""

from __future__ import annotations

import re

from lienthong.holdout import health, land, register
from tests.holdout.dataset import DataSet

CARD = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")
DMY = re.compile(r"^\d{2}/\d{2}/\d{4}$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def test_headers_are_as_specified(data: DataSet) -> None:
    first = {s: (data.root / s).read_text("utf-8").splitlines()[0] for s in data.sources}
    assert first["population.csv"] == (
        "personal_id,full_name,sex,date_of_birth,commune_code,address_line,phone"
    )
    assert first["health_insurance.csv"] == (
        "card_number,personal_id,full_name,sex,date_of_birth,commune_code,valid_from,valid_to"
    )
    assert first["land.csv"] == (
        "commune_code,map_sheet,parcel_number,area_m2,land_use_type,holder_id,holder_name,"
        "holder_birth"
    )
    assert first["population.csv"].split(",") == list(register.HEADER)
    assert first["health_insurance.csv"].split(",") == list(health.HEADER)
    assert first["land.csv"].split(",") == list(land.HEADER)


def test_population_fields(data: DataSet) -> None:
    rows = data.sources["population.csv"]
    assert all(r["sex"] in {"1", "2"} and ISO.match(r["date_of_birth"]) for r in rows)
    phones = [r["phone"] for r in rows if r["phone"]]
    assert all(re.fullmatch(r"0\d{9}", p) for p in phones)
    assert 0.4 < len(phones) / len(rows) < 0.8
    assert all(r["address_line"] and len(r["personal_id"]) == 12 for r in rows)


def test_health_cards(data: DataSet) -> None:
    rows = data.sources["health_insurance.csv"]
    numbers = [r["card_number"] for r in rows]
    assert len(set(numbers)) == len(numbers)
    assert all(CARD.match(n) for n in numbers)
    assert {n[:2] for n in numbers} >= {"GD", "HT", "DN", "HC", "TE", "HN", "CN"}
    for r in rows:
        assert r["sex"] in {"1", "2"}
        assert DMY.match(r["date_of_birth"]) and DMY.match(r["valid_from"])
        d, m, y = r["valid_from"].split("/")
        d2, m2, y2 = r["valid_to"].split("/")
        assert (y, m, d) <= (y2, m2, d2)


def test_land_parcels(data: DataSet) -> None:
    rows = data.sources["land.csv"]
    keys = [(r["commune_code"], r["map_sheet"], r["parcel_number"]) for r in rows]
    assert len(set(keys)) == len(keys)
    for r in rows:
        assert int(r["map_sheet"]) > 0 and int(r["parcel_number"]) > 0
        assert float(r["area_m2"]) > 0
        assert r["land_use_type"] in {"ONT", "ODT", "LUC", "CLN", "NTS"}
        assert r["holder_id"] == "" or re.fullmatch(r"\d{9}|\d{12}", r["holder_id"])
        birth = r["holder_birth"]
        assert birth == "" or re.fullmatch(r"\d{4}", birth) or DMY.match(birth)
    assert {r["land_use_type"] for r in rows} == {"ONT", "ODT", "LUC", "CLN", "NTS"}


def test_files_are_utf8_nfc_by_default_with_some_nfd(data: DataSet) -> None:
    text = (data.root / "population.csv").read_text("utf-8")
    assert "Nguyễn" in text  # precomposed
    assert "Nguye\u0302\u0303n" in text  # decomposed, in a few records
