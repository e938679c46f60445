"""Identity documents (CCCD, old CMND, passport) and land holders' birth data, each checked by
its own rule: an old 9-digit CMND is a person's identifier, not a bad tax code."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.standards.service import get_standard, spec_of
from lienthong.standards.validate import CodeBook, Validation, validate_frame
from tests.ingest.factories import COMMUNE, citizen_row, personal_id, tax_code

TODAY = date(2026, 1, 15)


def _validate(engine: Engine, name: str, rows: list[dict[str, str]]) -> Validation:
    with transaction(engine) as session:
        spec = spec_of(get_standard(session=session, name=name))
        book = CodeBook.load(session=session, spec=spec)
    frame = pl.DataFrame(rows).with_row_index("_row", offset=1)
    return validate_frame(
        frame.with_columns(pl.col("_row").cast(pl.Int64)), spec, book, today=TODAY
    )


def _found(result: Validation) -> set[tuple[int, str, str]]:
    return {(r["row"], r["field"], r["code"]) for r in result.findings.iter_rows(named=True)}


def _parcel(n: int, **changes: str) -> dict[str, str]:
    row = {
        "commune_code": COMMUNE,
        "map_sheet": "7",
        "parcel_number": str(n),
        "area_m2": "250.0",
        "land_use_type": "ONT",
        "holder_id": "",
        "holder_name": f"Trần Văn {n}",
        "holder_birth_date": "",
        "holder_birth_year": "",
        "holder_document_type": "",
        "holder_document_number": "",
    }
    row.update(changes)
    return row


def test_old_card_and_passport_are_land_holders_identifiers(engine: Engine) -> None:
    rows = [
        _parcel(1, holder_id="145123456"),  # old CMND (Hưng Yên)
        _parcel(2, holder_id="B1234567"),  # Vietnamese passport
        _parcel(3, holder_id=tax_code(8)),
        _parcel(4, holder_id=personal_id(4, year=1975)),
        _parcel(5, holder_id="12345"),
        _parcel(6, holder_id="1451234567"),  # 10 digits: a tax code whose check fails
    ]
    result = _validate(engine, "land_parcel", rows)
    assert _found(result) == {
        (5, "holder_id", "invalid-tax-code"),
        (6, "holder_id", "invalid-tax-code"),
    }
    assert result.valid["holder_id"].to_list()[:2] == ["145123456", "B1234567"]


def test_health_card_personal_id_may_be_an_old_card(engine: Engine) -> None:
    base = {
        "card_number": "",
        "full_name": "Lê Thị Hoa",
        "sex": "2",
        "date_of_birth": "1980-02-03",
        "commune_code": COMMUNE,
    }
    rows = [
        {**base, "card_number": "HC4330000000001", "personal_id": "151234567"},
        {**base, "card_number": "HC4330000000002", "personal_id": "C7654321"},
        {**base, "card_number": "HC4330000000003", "personal_id": "12345"},
        # A CCCD is still cross-checked with the record's sex and year of birth.
        {**base, "card_number": "HC4330000000004", "personal_id": personal_id(4, year=1980)},
        {
            **base,
            "card_number": "HC4330000000005",
            "personal_id": personal_id(5, female=True, year=1980),
        },
    ]
    result = _validate(engine, "health_insurance", rows)
    assert _found(result) == {
        (3, "personal_id", "invalid-personal-id"),
        (4, "personal_id", "personal-id-mismatch"),
    }


@pytest.mark.parametrize(
    ("kind", "number", "code"),
    [
        ("cmnd", "145123456", None),
        ("cmnd", "033090000001", None),  # a 12-digit card of 2012–2016
        ("", "145123456", None),  # no type: 9 digits read as a CMND
        ("passport", "N1234567", None),
        ("passport", "X12345", None),  # foreign: letters and digits, 6–9
        ("", "B1234567", None),
        ("cmnd", "14512345", "invalid-cmnd"),
        ("cmnd", "B1234567", "invalid-cmnd"),
        ("passport", "AB-12345", "invalid-passport"),
        ("passport", "ABCDEFG", "invalid-passport"),
        ("passport", "1234", "invalid-passport"),
        ("cccd", "145123456", "invalid-personal-id"),
        ("cccd", personal_id(9, year=1975), "personal-id-mismatch"),  # citizen born 1990
        ("", "12345", "invalid-personal-id"),
    ],
)
def test_each_document_type_has_its_own_rule(
    engine: Engine, kind: str, number: str, code: str | None
) -> None:
    row = citizen_row(1, id_document_type=kind, id_document_number=number)
    result = _validate(engine, "citizen", [row])
    expected = set() if code is None else {(1, "id_document_number", code)}
    assert _found(result) == expected


def test_unknown_document_type_is_refused(engine: Engine) -> None:
    row = citizen_row(1, id_document_type="driving-licence", id_document_number="145123456")
    assert _found(_validate(engine, "citizen", [row])) == {(1, "id_document_type", "not-in-enum")}


def test_land_holder_birth_date_or_year(engine: Engine) -> None:
    born_1975 = personal_id(3, year=1975)
    rows = [
        _parcel(1, holder_birth_year="1975"),
        _parcel(2, holder_birth_date="1975-03-02", holder_birth_year="1975"),
        _parcel(3, holder_birth_date="1975-03-02", holder_id=born_1975),
        _parcel(4, holder_birth_date="1975-03-02", holder_birth_year="1976"),
        _parcel(5, holder_birth_year="1980", holder_id=born_1975),
        _parcel(6, holder_birth_date="1980-01-01", holder_id=born_1975),
        _parcel(7, holder_birth_year="1870"),
        _parcel(8, holder_birth_year="1980", holder_document_number=born_1975),
    ]
    result = _validate(engine, "land_parcel", rows)
    assert _found(result) == {
        (4, "holder_birth_year", "year-mismatch"),
        (5, "holder_id", "personal-id-mismatch"),
        (6, "holder_id", "personal-id-mismatch"),
        (7, "holder_birth_year", "below-minimum"),
        (8, "holder_document_number", "personal-id-mismatch"),
    }
    typed = result.valid.select("parcel_number", "holder_birth_date", "holder_birth_year")
    assert typed.rows()[:3] == [
        (1, None, 1975),
        (2, date(1975, 3, 2), 1975),
        (3, date(1975, 3, 2), None),
    ]
