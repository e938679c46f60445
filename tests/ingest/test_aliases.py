"""A sector export with its own Vietnamese headers, Nam/Nữ and dd/mm/yyyy dates loads with no
mapping file: the standards name the headers and values such exports use."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.errors import ValidationFailed
from lienthong.ingest.mapping import AmbiguousColumns, Mapping, apply_mapping
from lienthong.ingest.service import IngestRequest, ingest_file, list_quarantine
from lienthong.standards.codelists import builtin_codelists
from lienthong.standards.schema import parse_standard
from lienthong.standards.service import BUILTIN, builtin_document
from lienthong.store.service import list_records
from tests.ingest.factories import COMMUNE, personal_id, register_system
from tests.paging import a_page

# As the commune office's register exports it (Excel "CSV UTF-8": byte-order mark, CRLF).
HEADER = [
    "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Dân tộc", "Mã xã",
    "Địa chỉ thường trú", "Số điện thoại",
]  # fmt: skip
ROWS = [
    ["1", "Nguyễn Văn Hùng", "17/05/1990", "Nam", personal_id(1), "Kinh", COMMUNE, "Số 1", ""],
    ["2", "Trần Thị Bích", "03/11/1990", "Nữ", personal_id(2, female=True), "tay", COMMUNE, "", ""],
    ["3", "Lê Thị Hoa", "1990-01-09", "NỮ", personal_id(3, female=True), "01", COMMUNE, "", ""],
    ["4", "Phạm Văn Nam", "09/01/1990", "nam", personal_id(4), "01", COMMUNE, "", ""],
    ["5", "Đỗ Thị Lan", "31/12/1990", "Nu", personal_id(5, female=True), "01", COMMUNE, "", ""],
    ["6", "Vũ Văn Bình", "01/02/1990", "Khác", personal_id(6), "01", COMMUNE, "", ""],
]


def _export(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    return path


_SEX = parse_standard(builtin_document("citizen")).field("sex").value_aliases


def _citizen_mapping() -> Mapping:
    return Mapping.for_standard(parse_standard(builtin_document("citizen")))


def test_a_typical_export_loads_without_a_mapping_file(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    system = register_system(engine, settings)
    path = _export(tmp_path / "dan_cu_xa.csv", HEADER, ROWS)
    batch = ingest_file(
        engine=engine,
        settings=settings,
        request=IngestRequest(path=path, standard="citizen", system=system),
    )
    assert (batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == (6, 5, 1)
    with transaction(engine) as session:
        records, _ = list_records(session=session, dataset="citizen", page=a_page())
        stored = {
            r["personal_id"]: (r["sex"], str(r["date_of_birth"]), r["ethnic_code"]) for r in records
        }
        (bad,), _ = list_quarantine(session=session, batch_id=batch.id, page=a_page())
    assert stored == {
        personal_id(1): ("1", "1990-05-17", "01"),
        personal_id(2, female=True): ("2", "1990-11-03", "02"),  # a code list's label: Tày
        personal_id(3, female=True): ("2", "1990-01-09", "01"),
        personal_id(4): ("1", "1990-01-09", "01"),
        personal_id(5, female=True): ("2", "1990-12-31", "01"),
    }
    # A value no alias names is left for the code-list check, as sent.
    assert bad.row == 6 and bad.values["sex"] == "Khác"
    assert [(f["field"], f["code"]) for f in bad.findings] == [("sex", "unknown-code")]


def test_headers_match_without_diacritics_case_or_spacing() -> None:
    frame = pl.DataFrame(
        {
            "_row": [1],
            "HO VA TEN": ["Nguyễn Văn Hùng"],
            "so_cccd": [personal_id(1)],
            "Gioi  tinh": ["NAM"],
            "Ngày tháng năm sinh": ["17/05/1990"],
            "ma xa": [COMMUNE],
        }
    )
    out, findings = apply_mapping(frame, _citizen_mapping(), successions=None)
    assert out.drop("_row").row(0, named=True) == {
        "full_name": "Nguyễn Văn Hùng",
        "personal_id": personal_id(1),
        "sex": "1",
        "date_of_birth": "1990-05-17",
        "commune_code": COMMUNE,
    }
    assert findings.height == 0


def test_code_list_labels_naming_one_code_are_value_aliases() -> None:
    spec = parse_standard(builtin_document("citizen"))
    labels = {"ethnic_code": {"01": "Kinh", "02": "Tày", "03": "Tay", "04": "Nam"}}
    mapping = Mapping.for_standard(spec, labels)
    frame = pl.DataFrame({"_row": [1, 2, 3, 4], "Dân tộc": ["KINH", "Tày", "Nam", "05"]})
    out, _ = apply_mapping(frame, mapping, successions=None)
    # "Tày" and "Tay" fold alike: neither is read. Each field reads its own list ("Nam": 04).
    assert out["ethnic_code"].to_list() == ["01", "Tày", "04", "05"]
    assert mapping.transforms["sex"] == [{"aliases": {k: list(v) for k, v in _SEX.items()}}]


def test_two_columns_for_one_field_are_ambiguous() -> None:
    frame = pl.DataFrame(
        {"_row": [1], "Số CCCD": [personal_id(1)], "Số định danh": [personal_id(2)], "Tên": ["x"]}
    )
    with pytest.raises(AmbiguousColumns) as caught:
        apply_mapping(frame, _citizen_mapping(), successions=None)
    assert caught.value.code == "ambiguous-columns" and caught.value.status == 422
    ((detail),) = caught.value.details
    assert detail.field == "personal_id" and detail.code == "ambiguous-columns"
    assert "'Số CCCD', 'Số định danh'" in detail.message


def test_every_builtin_standard_parses_with_distinct_aliases() -> None:
    sex = next(c for c in builtin_codelists() if c["name"] == "sex")
    codes = {e["code"] for e in sex["entries"]}
    labels = {e["label"] for e in sex["entries"]}
    for name in BUILTIN:
        spec = parse_standard(builtin_document(name))
        assert any(f.aliases for f in spec.fields), name
        for f in spec.fields:
            if f.value_aliases:
                # Value aliases name codes of the field's code list, its labels among them.
                assert f.codelist == "sex" and set(f.value_aliases) == codes
                assert labels <= {v for values in f.value_aliases.values() for v in values}


def _with_field(**extra: object) -> dict[str, object]:
    return {
        "name": "people",
        "fields": [{"name": "personal_id", **extra}, {"name": "full_name"}],
        "primaryKey": ["personal_id"],
        "lienthong:areaField": "personal_id",
    }


@pytest.mark.parametrize(
    ("extra", "path", "code"),
    [
        ({"lienthong:aliases": "Số CCCD"}, "fields.0.lienthong:aliases", "invalid-alias"),
        ({"lienthong:aliases": ["Họ và tên", " "]}, "fields.0.lienthong:aliases", "invalid-alias"),
        ({"lienthong:aliases": ["Full-Name"]}, "fields.1.lienthong:aliases", "duplicate-alias"),
        (
            {"lienthong:valueAliases": {"1": ["Nam"], "2": ["NAM"]}},
            "fields.0.lienthong:valueAliases",
            "duplicate-alias",
        ),
        (
            {"lienthong:valueAliases": {"1": "Nam"}},
            "fields.0.lienthong:valueAliases",
            "invalid-alias",
        ),
    ],
)
def test_bad_aliases_are_invalid(extra: dict[str, object], path: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_standard(_with_field(**extra))
    assert caught.value.code == "invalid-standard"
    assert [(d.field, d.code) for d in caught.value.details] == [(path, code)]
