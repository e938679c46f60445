"""Record keys: one composition for rows and columns, one reading of a key's parts."""

from __future__ import annotations

from datetime import date

import polars as pl

from lienthong.dataset.keys import compose_key, key_expr, record_key, split_key


def test_composite_key_joins_values_in_key_order() -> None:
    values = {"parcel_number": 10, "commune_code": "12166", "map_sheet": 2}
    assert record_key(values, ["commune_code", "map_sheet", "parcel_number"]) == "12166~2~10"
    assert record_key({"tax_code": "0100109106"}) == "0100109106"


def test_python_and_column_keys_agree_for_every_type() -> None:
    rows = [
        {"s": "A-1", "i": 7, "d": date(2025, 7, 1), "b": True},
        {"s": "B", "i": -3, "d": date(1990, 1, 31), "b": False},
    ]
    frame = pl.DataFrame(rows, schema={"s": pl.Utf8, "i": pl.Int64, "d": pl.Date, "b": pl.Boolean})
    fields = ["s", "i", "d", "b"]
    columns = frame.select(key_expr([pl.col(f) for f in fields]).alias("k"))["k"].to_list()
    assert columns == [record_key(r, fields) for r in rows]
    assert columns == ["A-1~7~2025-07-01~true", "B~-3~1990-01-31~false"]
    single = frame.select(key_expr([pl.col("d")]).alias("k"))["k"].to_list()
    assert single == [compose_key([r["d"]]) for r in rows]


def test_column_key_is_missing_when_a_part_is() -> None:
    frame = pl.DataFrame({"a": ["x", None], "b": [1, 2]})
    keys = frame.select(key_expr([pl.col("a"), pl.col("b")]).alias("k"))["k"].to_list()
    assert keys == ["x~1", None]


def test_split_key_by_width() -> None:
    assert split_key("12166~2~10", 3) == ["12166", "2", "10"]
    assert split_key("12166~2", 3) is None
    # A single-field key is the value itself, separator or not.
    assert split_key("A~B", 1) == ["A~B"]
