"""Columnar validation: each finding code on the row and field it belongs to."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.standards.identifiers import tax_code_ok
from lienthong.standards.schema import parse_standard
from lienthong.standards.service import builtin_document, get_standard, spec_of
from lienthong.standards.validate import CodeBook, Seen, validate_frame
from tests.ingest.factories import citizen_row, personal_id, tax_code

TODAY = date(2026, 1, 15)


def _validate(engine: Engine, name: str, rows: list[dict[str, str | None]], **kw: object):
    with transaction(engine) as session:
        spec = spec_of(get_standard(session=session, name=name))
        book = CodeBook.load(session=session, spec=spec)
    frame = (
        pl.DataFrame(rows)
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    return validate_frame(frame, spec, book, today=TODAY, **kw)  # type: ignore[arg-type]


def _found(result) -> set[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return {(r["row"], r["field"], r["code"]) for r in result.findings.iter_rows(named=True)}


def test_valid_rows_are_typed(engine: Engine) -> None:
    result = _validate(engine, "citizen", [citizen_row(1), citizen_row(2, phone="")])
    assert result.findings.height == 0
    assert result.valid.schema["date_of_birth"] == pl.Date
    assert result.valid.get_column("phone").to_list() == ["0900000001", None]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"full_name": "  "}, "full_name", "missing-value"),
        ({"date_of_birth": "17/05/1990"}, "date_of_birth", "invalid-date"),
        ({"sex": "3"}, "sex", "unknown-code"),
        ({"ethnic_code": "55"}, "ethnic_code", "unknown-code"),
        ({"commune_code": "99999"}, "commune_code", "unknown-code"),
        ({"phone": "912345678"}, "phone", "pattern-mismatch"),
        ({"full_name": "x" * 201}, "full_name", "too-long"),
        ({"personal_id": "12345"}, "personal_id", "invalid-personal-id"),
        ({"personal_id": "099090000001"}, "personal_id", "invalid-personal-id"),
        ({"personal_id": "033690000001"}, "personal_id", "invalid-personal-id"),
        # Forms an integer parse would accept: a sign, full-width digits, a separator.
        ({"personal_id": "+33090000001"}, "personal_id", "invalid-personal-id"),
        ({"personal_id": "０３３０９００００００１"}, "personal_id", "invalid-personal-id"),
        ({"personal_id": "0330900_0001"}, "personal_id", "invalid-personal-id"),
        ({"sex": "2"}, "personal_id", "personal-id-mismatch"),
        ({"date_of_birth": "1991-05-17"}, "personal_id", "personal-id-mismatch"),
    ],
)
def test_citizen_findings(engine: Engine, changes: dict[str, str], field: str, code: str) -> None:
    result = _validate(engine, "citizen", [citizen_row(1), citizen_row(2, **changes)])
    assert (2, field, code) in _found(result)
    assert result.invalid.get_column("_row").to_list() == [2]
    assert result.valid.get_column("_row").to_list() == [1]


def test_personal_id_century_and_sex(engine: Engine) -> None:
    young = citizen_row(
        1, personal_id=personal_id(1, female=True, year=2003), sex="2", date_of_birth="2003-02-01"
    )
    result = _validate(engine, "citizen", [young])
    assert result.findings.height == 0


def test_pre2025_commune_is_not_in_force_today(engine: Engine) -> None:
    # 12166 is a 2025 code; 00001 (Phúc Xá, Ba Đình) existed only before the reform.
    result = _validate(engine, "citizen", [citizen_row(1, commune_code="00001")])
    assert (1, "commune_code", "unknown-code") in _found(result)


def test_code_list_version_follows_the_record_date(engine: Engine) -> None:
    document = builtin_document("health_insurance")
    document["lienthong:recordDateField"] = "valid_from"
    spec = parse_standard(document)
    with transaction(engine) as session:
        book = CodeBook.load(session=session, spec=spec)
    base = {
        "card_number": "HN4330123456789",
        "personal_id": personal_id(1),
        "full_name": "A",
        "sex": "1",
        "date_of_birth": "1990-05-17",
        "valid_to": "2026-12-31",
    }
    rows = [
        {**base, "commune_code": "00001", "valid_from": "2024-01-01"},  # old code, old date
        {
            **base,
            "card_number": "HN4330123456780",
            "commune_code": "00001",
            "valid_from": "2025-08-01",
        },  # old code after the reform
        {
            **base,
            "card_number": "HN4330123456781",
            "commune_code": "12166",
            "valid_from": "2025-08-01",
        },
    ]
    frame = (
        pl.DataFrame(rows)
        .with_row_index("_row", offset=1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    result = validate_frame(frame, spec, book, today=TODAY)
    assert _found(result) == {(2, "commune_code", "unknown-code")}


def test_duplicate_key_keeps_the_first(engine: Engine) -> None:
    rows = [citizen_row(1), citizen_row(2), citizen_row(1, address_line="khác"), citizen_row(1)]
    result = _validate(engine, "citizen", rows)
    assert {(r, c) for r, _, c in _found(result)} == {(3, "duplicate-key"), (4, "duplicate-key")}
    seen = Seen()
    seen.add(result.keys)
    later = _validate(engine, "citizen", [citizen_row(2)], seen=seen)
    assert {c for _, _, c in _found(later)} == {"duplicate-key"}


def test_business_rules(engine: Engine) -> None:
    good = tax_code(1234)
    wrong = good[:9] + str((int(good[9]) + 1) % 10)
    row = {
        "tax_code": good,
        "name": "Công ty TNHH A",
        "legal_form": "TNHH1",
        "registration_date": "2019-03-04",
        "commune_code": "12166",
        "status": "active",
        "representative_id": personal_id(5),
        "has_website": "true",
    }
    rows = [
        row,
        {**row, "tax_code": wrong},
        {**row, "tax_code": good + "-001"},
        {**row, "tax_code": tax_code(99), "has_website": "maybe"},
        {**row, "tax_code": tax_code(77), "legal_form": "LLC"},
    ]
    result = _validate(engine, "business", rows)
    assert _found(result) == {
        (2, "tax_code", "invalid-tax-code"),
        (4, "has_website", "type-error"),
        (5, "legal_form", "unknown-code"),
    }
    assert result.valid.get_column("has_website").to_list() == [True, True]


def test_land_parcel_numbers(engine: Engine) -> None:
    row = {
        "commune_code": "12166",
        "map_sheet": "12",
        "parcel_number": "345",
        "area_m2": "120.5",
        "land_use_type": "ONT",
        "holder_id": personal_id(3),
        "holder_name": "Trần Thị B",
    }
    rows = [
        row,
        {**row, "map_sheet": "0"},
        {**row, "parcel_number": "3a"},
        {**row, "parcel_number": "346", "area_m2": "0"},
        {**row, "parcel_number": "347", "holder_id": tax_code(5)},
        {**row, "parcel_number": "348", "holder_id": "0100109107"},
        {**row, "map_sheet": "012"},
    ]
    result = _validate(engine, "land_parcel", rows)
    assert _found(result) == {
        (2, "map_sheet", "below-minimum"),
        (3, "parcel_number", "type-error"),
        (4, "area_m2", "below-minimum"),
        (6, "holder_id", "invalid-tax-code"),
        (7, "commune_code,map_sheet,parcel_number", "duplicate-key"),
    }


def tax_code_ok_value(value: str) -> bool:
    return bool(pl.select(tax_code_ok(pl.lit(value))).item())


def test_known_tax_codes() -> None:
    # Published enterprise codes whose check digit holds.
    assert tax_code_ok_value("0100109106")
    assert not tax_code_ok_value("0100109107")
    assert tax_code_ok_value("0100109106-001")
    assert not tax_code_ok_value("010010910")


def test_unique_field_keeps_the_first(engine: Engine) -> None:
    document = builtin_document("citizen")
    for field in document["fields"]:
        if field["name"] == "phone":
            field["constraints"] = {**field.get("constraints", {}), "unique": True}
    spec = parse_standard(document)
    with transaction(engine) as session:
        book = CodeBook.load(session=session, spec=spec)
    rows = [
        citizen_row(1, phone="0912345678"),
        citizen_row(2, phone="0912345678"),
        citizen_row(3, phone=None),
        citizen_row(4, phone=None),
        citizen_row(5, phone="0987654321"),
    ]
    frame = pl.DataFrame(rows).with_row_index("_row", offset=1)
    first = validate_frame(frame.with_columns(pl.col("_row").cast(pl.Int64)), spec, book)
    assert {(r, f, c) for r, f, c in _found(first)} == {(2, "phone", "not-unique")}
    assert first.valid.height == 4
    # A later chunk of the same batch: the value seen in the first chunk repeats.
    later = pl.DataFrame([citizen_row(6, phone="0987654321")]).with_columns(
        pl.lit(6, pl.Int64).alias("_row")
    )
    seen = Seen()
    seen.add(first.keys)
    again = validate_frame(later, spec, book, seen=seen)
    assert {c for _, _, c in _found(again)} == {"not-unique"}
