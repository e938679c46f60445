"""Text to typed values: the column read (ingest) and the single read (keys, filters) agree."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest

from lienthong.dataset.coerce import parse_value, typed_expr

SAMPLES = {
    "integer": [
        "12",
        "-3",
        "+5",
        "00012",
        "1.0",
        "1e3",
        "",
        " 12",
        "1_000",
        "١٢",
        "x",
        "9223372036854775807",
        "9223372036854775808",
    ],
    "number": [
        "1.5",
        "-0.25",
        "1e3",
        ".5",
        "5.",
        "12",
        "inf",
        "NaN",
        "",
        " 1.5",
        "1_000.5",
        "1,5",
        "0x10",
    ],
    "boolean": [
        "true",
        "True",
        "TRUE",
        "1",
        "false",
        "False",
        "FALSE",
        "0",
        "yes",
        "tRuE",
        "",
        "2",
        " true",
    ],
    "date": ["2025-07-01", "1990-01-31", "0001-01-01", "2025-02-30", "2025-07-01T00:00", "x"],
}


def _single(kind: str, text: str) -> Any:
    try:
        return parse_value(kind, text)
    except ValueError:
        return None


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_single_read_agrees_with_column_read(kind: str) -> None:
    texts = SAMPLES[kind]
    column = (
        pl.DataFrame({"t": texts}).select(typed_expr(kind, pl.col("t")).alias("t"))["t"].to_list()
    )
    single = [_single(kind, t) for t in texts]
    assert [str(v) for v in single] == [str(v) for v in column]


def test_booleans_are_read_strictly() -> None:
    assert parse_value("boolean", "TRUE") is True
    assert parse_value("boolean", "0") is False
    for text in ("yes", "no", "tRuE", ""):
        with pytest.raises(ValueError):
            parse_value("boolean", text)


def test_other_types() -> None:
    assert parse_value("integer", "-42") == -42
    assert parse_value("number", "2.5") == 2.5
    assert parse_value("date", "2025-07-01") == date(2025, 7, 1)
    assert parse_value("string", " as is ") == " as is "
    with pytest.raises(ValueError):
        parse_value("integer", str(2**63))
