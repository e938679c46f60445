"""Transforms real files need, declared in the mapping: build a key from several columns, take
an old ID out of another column, default, split a full name, re-key only what is not a 2025 code."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lienthong.ingest.mapping import InvalidMapping, Mapping, apply_mapping
from lienthong.ingest.rekey import load_successions
from lienthong.registry.loader import builtin_units

NO_SUCCESSIONS = pl.DataFrame(schema={"from_code": pl.Utf8, "to_code": pl.Utf8})


def _frame(**columns: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame(
        {"_row": list(range(1, n + 1)), **columns},
        schema={"_row": pl.Int64, **dict.fromkeys(columns, pl.Utf8)},
    )


def _apply(frame: pl.DataFrame, **mapping: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    document = json.dumps(mapping, ensure_ascii=False).encode("utf-8")
    return apply_mapping(frame, Mapping.parse(document), successions=NO_SUCCESSIONS)


def test_format_builds_a_key_and_concat_joins_what_is_there() -> None:
    frame = _frame(
        **{
            "Mã xã": ["12166", "12166", "12169"],
            "Số tờ": ["7", " 12 ", "3"],
            "Số thửa": ["120", "5", None],
            "Số nhà": ["12", None, None],
            "Đường": ["Phố Hiến", "Lê Lợi", None],
        }
    )
    out, findings = _apply(
        frame,
        columns={"Mã xã": "commune_code"},
        transforms={
            "parcel_key": [{"format": "{Mã xã}/{Số tờ}-{Số thửa}"}],
            "address_line": [{"concat": {"columns": ["Số nhà", "Đường"], "separator": " "}}],
        },
    )
    assert out["parcel_key"].to_list() == ["12166/7-120", "12166/12-5", None]
    assert out["address_line"].to_list() == ["12 Phố Hiến", "Lê Lợi", None]
    # The columns the steps read are used, not "unmapped".
    assert findings.height == 0


def test_extract_takes_an_old_id_out_of_the_name_column() -> None:
    frame = _frame(
        **{
            "Họ và tên": ["Nguyễn Văn Hùng 121234567", "Trần Thị Bích", "CMND 030123456 Lê Hoa"],
            "Số CMND": [None, "031999888", None],
        }
    )
    out, findings = _apply(
        frame,
        columns={"Họ và tên": "full_name", "Số CMND": "old_id_number"},
        transforms={
            "old_id_number": [
                {
                    "extract": {
                        "from": "Họ và tên",
                        "pattern": r"(?:CMND\s*)?(\d{9})",
                        "group": 1,
                        "remove": True,
                    }
                }
            ]
        },
    )
    assert out["full_name"].to_list() == ["Nguyễn Văn Hùng", "Trần Thị Bích", "Lê Hoa"]
    # Where the field has its own value it stays; where it is empty the match fills it.
    assert out["old_id_number"].to_list() == ["121234567", "031999888", "030123456"]
    assert findings.height == 0


def test_default_fills_empty_values_only() -> None:
    out, _ = _apply(
        _frame(dt=["02", None, "  "]),
        columns={"dt": "ethnic_code"},
        transforms={"ethnic_code": ["trim", {"default": "01"}], "nationality": [{"default": "VN"}]},
    )
    assert out["ethnic_code"].to_list() == ["02", "01", "01"]
    assert out["nationality"].to_list() == ["VN"] * 3


def test_split_name_in_vietnamese_order() -> None:
    names = ["Nguyễn Văn Hùng", "  Trần   Thị Minh  Khai ", "Lê Hoa", "Bình", None]
    steps = {
        part: [{"split-name": {"from": "Họ và tên", "part": part}}]
        for part in ("family", "middle", "given")
    }
    out, _ = _apply(
        _frame(**{"Họ và tên": names}),
        columns={"Họ và tên": "full_name"},
        transforms={
            "family_name": steps["family"],
            "middle_name": steps["middle"],
            "given_name": steps["given"],
        },
    )
    assert out.select("family_name", "middle_name", "given_name").rows() == [
        ("Nguyễn", "Văn", "Hùng"),
        ("Trần", "Thị Minh", "Khai"),
        ("Lê", None, "Hoa"),
        (None, None, "Bình"),
        (None, None, None),
    ]


def test_value_aliases_in_a_mapping_compare_folded() -> None:
    out, _ = _apply(
        _frame(gt=["NAM", "nữ", "Nu", "x", None]),
        columns={"gt": "sex"},
        transforms={"sex": [{"aliases": {"1": ["Nam"], "2": ["Nữ"]}}]},
    )
    assert out["sex"].to_list() == ["1", "2", "2", "x", None]


@pytest.mark.parametrize(
    ("transforms", "where", "says"),
    [
        ({"x": [{"concat": {"column": ["a"]}}]}, "transforms.x.0", "missing 'columns'"),
        ({"x": ["trim", {"concat": {"columns": "a"}}]}, "transforms.x.1", "'columns' must be"),
        ({"x": [{"format": "{a}-{"}]}, "transforms.x.0", "template"),
        ({"x": [{"format": "plain"}]}, "transforms.x.0", "must name at least one column"),
        ({"x": [{"format": "{a:>5}"}]}, "transforms.x.0", "without a format spec"),
        ({"x": [{"extract": {"from": "a"}}]}, "transforms.x.0", "missing 'pattern'"),
        ({"x": [{"extract": {"from": "a", "pattern": "(\\d"}}]}, "transforms.x.0", "not a valid"),
        (
            {"x": [{"extract": {"from": "a", "pattern": "\\d", "group": 2}}]},
            "transforms.x.0",
            "has 0 group",
        ),
        (
            {"x": [{"extract": {"from": "a", "pattern": "a", "cut": 1}}]},
            "transforms.x.0",
            "unknown key 'cut'",
        ),
        ({"x": [{"default": 1}]}, "transforms.x.0", "'default' takes a text"),
        ({"x": [{"split-name": {"from": "a", "part": "first"}}]}, "transforms.x.0", "'part'"),
        ({"x": [{"aliases": {"1": ["Nam"], "2": ["NAM"]}}]}, "transforms.x.0", "both '1' and '2'"),
        (
            {"x": [{"rekey": {"from": "pre2025", "to": "2025", "every": True}}]},
            "transforms.x.0",
            "every",
        ),
        ({"x": ["trim", "shout"]}, "transforms.x.1", "unknown transform 'shout'"),
    ],
)
def test_a_bad_step_is_named_in_invalid_mapping(
    transforms: dict[str, Any], where: str, says: str
) -> None:
    document = json.dumps({"columns": {"a": "x"}, "transforms": transforms}).encode()
    with pytest.raises(InvalidMapping) as caught:
        Mapping.parse(document, name="m.json")
    error = caught.value
    assert error.code == "invalid-mapping" and error.status == 422
    assert [d.field for d in error.details] == [where]
    assert error.message.startswith("tệp ánh xạ m.json không hợp lệ / invalid mapping m.json: ")
    assert error.details[0].message.startswith(f"{where} (")
    assert says in error.message


def test_a_column_the_source_lacks_is_named_in_invalid_mapping() -> None:
    with pytest.raises(InvalidMapping) as caught:
        _apply(
            _frame(a=["1"]),
            columns={"a": "x"},
            transforms={"key": ["trim", {"format": "{a}-{Số thửa}"}]},
        )
    assert [d.field for d in caught.value.details] == ["transforms.key.1"]
    assert "'Số thửa' is not a column of the source" in caught.value.message


def test_a_wrongly_shaped_mapping_names_the_key() -> None:
    with pytest.raises(InvalidMapping) as caught:
        Mapping.parse(b'{"columns": {"a": 1}}')
    assert [d.field for d in caught.value.details] == ["columns.a"]
    assert caught.value.message.endswith("mapping: columns.a: Input should be a valid string")


REKEY = {"rekey": {"from": "pre2025", "to": "2025"}}


def _communes() -> tuple[list[str], dict[str, set[str]]]:
    _, new, edges = builtin_units()
    successors: dict[str, set[str]] = {}
    for edge in edges:
        successors.setdefault(edge["from_code"], set()).add(edge["to_code"])
    return [u["code"] for u in new if u["level"] == "commune"], successors


def test_an_undated_mixed_file_keeps_its_2025_codes(engine: sa.Engine, tmp_path: Path) -> None:
    current, successors = _communes()
    # 2025 codes that are also pre-2025 codes of other units: read as pre-2025 codes, 142 were
    # quarantined as ambiguous-successor (several successors) and one replaced by another code.
    reused = [c for c in current if successors.get(c, {c}) != {c}]
    assert len(reused) == 143
    assert sum(len(successors[c]) > 1 for c in reused) == 142
    old_single = sorted(c for c, to in successors.items() if c not in current and len(to) == 1)
    old_several = sorted(c for c, to in successors.items() if c not in current and len(to) > 1)
    codes = [*current, *old_single[:50], *old_several[:5], "99999"]
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã xã"])
        writer.writerows([c] for c in codes)
    frame = pl.read_csv(path, schema={"Mã xã": pl.Utf8}).with_row_index("_row", offset=1)
    with Session(engine) as session:
        successions = load_successions(session)
    mapping = Mapping(columns={"Mã xã": "commune_code"}, transforms={"commune_code": [REKEY]})
    out, findings = apply_mapping(frame, mapping, successions=successions)
    result = out["commune_code"].to_list()
    assert result[: len(current)] == current  # every 2025 code passes untouched
    rekeyed = result[len(current) : len(current) + 50]
    assert rekeyed == [next(iter(successors[c])) for c in old_single[:50]]
    by_code = findings.group_by("code").agg(pl.col("row").sort())
    rows = dict(by_code.iter_rows())
    first_several = len(current) + 51
    assert rows == {
        "commune-rekeyed": list(range(len(current) + 1, len(current) + 51)),
        "ambiguous-successor": list(range(first_several, first_several + 5)),
        "unknown-predecessor": [len(codes)],
    }
    # Declared pre-2025 throughout (an old register), every code is re-keyed, reused ones too.
    everything = {"rekey": {**REKEY["rekey"], "all": True}}
    whole = Mapping(columns={"Mã xã": "commune_code"}, transforms={"commune_code": [everything]})
    _, old_findings = apply_mapping(frame, whole, successions=successions)
    flagged = old_findings.filter(pl.col("code") == "ambiguous-successor")
    assert flagged.height == 142 + 5


def test_the_mappings_shown_in_the_docs_are_valid() -> None:
    text = (Path(__file__).parents[2] / "docs" / "ingest.md").read_text("utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        mapping = Mapping.parse(block.encode("utf-8"))
        assert mapping.columns and mapping.transforms
