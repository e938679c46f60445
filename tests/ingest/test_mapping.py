"""Mappings: renaming, transforms, Excel serial dates, value maps and re-keying by succession."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lienthong.ingest.mapping import InvalidMapping, Mapping, NoMatchingColumns, apply_mapping
from lienthong.ingest.rekey import load_successions
from lienthong.standards.schema import parse_standard

NO_SUCCESSIONS = pl.DataFrame(schema={"from_code": pl.Utf8, "to_code": pl.Utf8})


def _frame(**columns: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame(
        {"_row": list(range(1, n + 1)), **columns},
        schema={"_row": pl.Int64, **dict.fromkeys(columns, pl.Utf8)},
    )


def _codes(findings: pl.DataFrame) -> list[tuple[int | None, str, str, str]]:
    return findings.select("row", "field", "code", "severity").rows()


def test_rename_transforms_and_value_maps(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "columns": {
                    "Số CCCD": "personal_id",
                    "Họ và tên": "full_name",
                    "Giới tính": "sex",
                    "Ngày sinh": "date_of_birth",
                },
                "transforms": {
                    "date_of_birth": [{"date": ["%d/%m/%Y", "%Y-%m-%d", "excel-serial"]}],
                    "full_name": ["trim", "collapse-spaces", "title"],
                    "sex": [{"map": {"Nam": "1", "Nữ": "2", "nam": "1"}}],
                },
                "constants": {"ethnic_code": "01"},
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    mapping = Mapping.load(path)
    frame = _frame(
        **{
            "Số CCCD": ["033090001234", "034185002345", None, "1"],
            "Họ và tên": ["  nguyễn   văn  hùng ", "TRẦN THỊ BÍCH", None, "x"],
            "Giới tính": ["nam", "Nữ", "Khác", None],
            "Ngày sinh": ["17/05/1990", "45292", "1985-02-30", "2001-02-03"],
            "Ghi chú": ["a", None, None, None],
        }
    ).with_columns(pl.lit(False).alias("_ragged"))
    out, findings = apply_mapping(frame, mapping, successions=NO_SUCCESSIONS)
    assert out.columns == [
        "_row",
        "_ragged",
        "personal_id",
        "full_name",
        "sex",
        "date_of_birth",
        "ethnic_code",
    ]
    assert out["full_name"].to_list() == ["Nguyễn Văn Hùng", "Trần Thị Bích", None, "X"]
    assert out["sex"].to_list() == ["1", "2", "Khác", None]
    assert out["date_of_birth"].to_list() == [
        "1990-05-17",
        "2024-01-01",
        "1985-02-30",
        "2001-02-03",
    ]
    assert out["ethnic_code"].to_list() == ["01"] * 4
    assert _codes(findings) == [(None, "Ghi chú", "unmapped-column", "info")]
    assert findings.schema["row"] == pl.Int64


def _standard(*fields: str) -> Mapping:
    spec = parse_standard(
        {
            "name": "people",
            "fields": [{"name": f} for f in fields],
            "primaryKey": [fields[0]],
            "lienthong:areaField": fields[0],
        }
    )
    return Mapping.for_standard(spec)


def test_identity_matches_headers_loosely() -> None:
    mapping = _standard("personal_id", "full_name", "sex", "date_of_birth")
    found = mapping.resolve(["Personal ID", "FULL-NAME", "ngày", "Sex"])
    assert found == {"Personal ID": "personal_id", "FULL-NAME": "full_name", "Sex": "sex"}
    # A column the source only shows later (a JSON key met mid-file) still finds its field.
    assert mapping.resolve(["Ngày", "Date of Birth"]) == {"Date of Birth": "date_of_birth"}


def test_no_matching_columns_is_fatal() -> None:
    mapping = _standard("personal_id")
    with pytest.raises(NoMatchingColumns) as caught:
        apply_mapping(_frame(a=["1"]), mapping, successions=NO_SUCCESSIONS)
    assert caught.value.code == "no-matching-columns" and caught.value.status == 422


def test_invalid_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"transforms": {"sex": ["shout"]}}', "utf-8")
    with pytest.raises(InvalidMapping) as caught:
        Mapping.load(path)
    assert caught.value.code == "invalid-mapping"


def test_pad_restores_leading_zeros() -> None:
    mapping = Mapping(columns={"xa": "commune_code"}, transforms={"commune_code": [{"pad": 5}]})
    out, _ = apply_mapping(_frame(xa=["7", "11950", "X1"]), mapping, successions=NO_SUCCESSIONS)
    assert out["commune_code"].to_list() == ["00007", "11950", "X1"]


def test_rekey_with_registry_successions(engine: sa.Engine) -> None:
    with Session(engine) as session:
        successions = load_successions(session)
    assert set(successions.filter(pl.col("from_code") == "00007")["to_code"]) == {"00008", "00025"}
    mapping = Mapping(
        columns={"ma_xa": "commune_code"},
        transforms={"commune_code": [{"rekey": {"from": "pre2025", "to": "2025"}}]},
    )
    frame = _frame(ma_xa=["11950", "00007", "99999", None, "11950"])
    out, findings = apply_mapping(frame, mapping, successions=successions)
    assert out["commune_code"].to_list() == ["11983", "00007", "99999", None, "11983"]
    assert _codes(findings.sort("row")) == [
        (1, "commune_code", "commune-rekeyed", "info"),
        (2, "commune_code", "ambiguous-successor", "error"),
        (3, "commune_code", "unknown-predecessor", "error"),
        (5, "commune_code", "commune-rekeyed", "info"),
    ]
    ambiguous = findings.filter(pl.col("code") == "ambiguous-successor")["message"][0]
    assert "00008, 00025" in ambiguous


def test_rekey_only_before_the_reform_date() -> None:
    successions = pl.DataFrame({"from_code": ["11950", "00001"], "to_code": ["11983", "00097"]})
    mapping = Mapping(
        columns={"xa": "commune_code", "tu": "valid_from"},
        transforms={
            "valid_from": [{"date": ["%d/%m/%Y"]}],
            "commune_code": [
                {
                    "rekey": {
                        "from": "pre2025",
                        "to": "2025",
                        "when": {"date_field": "valid_from", "before": "2025-07-01"},
                    }
                }
            ],
        },
    )
    frame = _frame(
        xa=["11950", "00001", "00001", "11950"], tu=["30/06/2025", "01/07/2025", "15/03/2020", None]
    )
    out, findings = apply_mapping(frame, mapping, successions=successions)
    # 00001 dated after the reform is already a 2025 code (codes are reused): left alone.
    assert out["commune_code"].to_list() == ["11983", "00001", "00097", "11950"]
    assert _codes(findings) == [
        (1, "commune_code", "commune-rekeyed", "info"),
        (3, "commune_code", "commune-rekeyed", "info"),
    ]
