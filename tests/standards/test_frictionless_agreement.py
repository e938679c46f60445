"""frictionless-py, given the same Table Schema, agrees with our verdict on every row and cell
for the constraint types both implement (required, type, length, range, pattern, enum, key)."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from frictionless import Resource, Schema

from lienthong.sample.generate import generate_province
from lienthong.standards.schema import parse_standard
from lienthong.standards.service import builtin_document
from lienthong.standards.validate import CodeBook, validate_frame

DOCUMENT: dict[str, Any] = {
    "name": "survey",
    "version": 1,
    "primaryKey": ["id"],
    "lienthong:areaField": "code",
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1}},
        {
            "name": "code",
            "type": "string",
            "constraints": {"required": True, "pattern": "[A-Z]{2}[0-9]{3}"},
        },
        {"name": "name", "type": "string", "constraints": {"minLength": 2, "maxLength": 10}},
        {"name": "score", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "born", "type": "date"},
        {"name": "active", "type": "boolean"},
        {"name": "kind", "type": "string", "constraints": {"enum": ["a", "b", "c"]}},
    ],
}
BAD = {
    "id": ["", "0", "-3", "1.5", "x"],
    "code": ["", "ab123", "AB12", "AB1234", "A1234"],
    "name": ["x", "abcdefghijk"],
    "score": ["-1", "100.5", "abc", "1.2.3"],
    "born": ["2020-13-01", "01/02/2020", "2021-02-29", "nope"],
    "active": ["yes", "2", "T"],
    "kind": ["d", "A"],
}


def _good(rng: random.Random, i: int) -> dict[str, str]:
    return {
        "id": str(i),
        "code": "".join(rng.choice("ABCDEFGH") for _ in range(2)) + f"{rng.randrange(1000):03d}",
        "name": "n" * rng.randint(2, 10),
        "score": f"{rng.uniform(0, 100):.2f}",
        "born": f"{rng.randint(1950, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "active": rng.choice(["true", "false", "1", "0", "TRUE", "False"]),
        "kind": rng.choice(["a", "b", "c"]),
    }


def _sample(path: Path, rows: int = 3000) -> Path:
    rng = random.Random(20250701)
    records = []
    for i in range(1, rows + 1):
        row = _good(rng, i)
        if rng.random() < 0.25:
            field = rng.choice(list(BAD))
            row[field] = rng.choice(BAD[field])
        if rng.random() < 0.02 and i > 10:
            row["id"] = str(rng.randint(1, i - 1))  # a repeated key
        for optional in ("name", "score", "born", "active", "kind"):
            if rng.random() < 0.03:
                row[optional] = ""
        records.append(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[f["name"] for f in DOCUMENT["fields"]])
        writer.writeheader()
        writer.writerows(records)
    return path


def _frictionless(path: Path) -> tuple[set[int], set[tuple[int, str]]]:
    descriptor = {k: v for k, v in DOCUMENT.items() if not k.startswith("lienthong:")}
    descriptor = {k: v for k, v in descriptor.items() if k not in ("name", "version")}
    resource = Resource(
        path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(descriptor)
    )
    report = resource.validate(limit_errors=1_000_000)
    rows: set[int] = set()
    cells: set[tuple[int, str]] = set()
    for error in report.tasks[0].errors:
        number = getattr(error, "row_number", None)
        assert number is not None, error  # no file-level problem: every error is a row's
        row = number - 1  # frictionless counts the header as row 1
        rows.add(row)
        name = getattr(error, "field_name", None)
        if name and error.type != "primary-key":
            cells.add((row, name))
    return rows, cells


def test_frictionless_agrees_on_every_row(tmp_path: Path) -> None:
    path = _sample(tmp_path / "survey.csv")
    spec = parse_standard(DOCUMENT)
    frame = pl.read_csv(path, infer_schema=False).with_row_index("_row", offset=1)
    result = validate_frame(frame.with_columns(pl.col("_row").cast(pl.Int64)), spec, CodeBook({}))
    ours_rows = set(result.invalid.get_column("_row").to_list())
    ours_cells = {
        (r["row"], r["field"])
        for r in result.findings.iter_rows(named=True)
        if r["code"] != "duplicate-key"
    }
    their_rows, their_cells = _frictionless(path)
    assert 400 < len(ours_rows) < 1500  # the sample has plenty of both verdicts
    assert ours_rows == their_rows
    assert ours_cells == their_cells


FRICTIONLESS_CODES = {
    "missing-value",
    "type-error",
    "invalid-date",
    "too-short",
    "too-long",
    "below-minimum",
    "above-maximum",
    "pattern-mismatch",
    "not-in-enum",
}


def test_frictionless_agrees_on_a_sample_province_file(tmp_path: Path) -> None:
    """The health-card export of `lienthong sample`, checked with the built-in standard."""
    out = tmp_path / "sample"
    generate_province(out, persons=1500, seed=3)
    source = out / "health_insurance.jsonl"
    frame = pl.read_ndjson(source, infer_schema_length=None).with_row_index("_row", offset=1)
    plain = tmp_path / "cards.csv"
    frame.drop("_row").write_csv(plain)
    document = builtin_document("health_insurance")
    for field in document["fields"]:  # code lists are ours alone; compare the rest
        field.pop("lienthong:codelist", None)
    spec = parse_standard(document)
    book = CodeBook({})
    result = validate_frame(
        frame.with_columns(pl.col("_row").cast(pl.Int64)), spec, book, today=date(2026, 1, 1)
    )
    ours = {
        (r["row"], r["field"])
        for r in result.findings.iter_rows(named=True)
        if r["code"] in FRICTIONLESS_CODES
    }
    # The export carries the fields it has; optional ones it lacks are not columns of it.
    descriptor = {
        "fields": [
            {k: v for k, v in f.items() if not k.startswith("lienthong:")}
            for f in document["fields"]
            if f["name"] in frame.columns
        ],
    }
    resource = Resource(
        path=plain.name, basepath=str(tmp_path), schema=Schema.from_descriptor(descriptor)
    )
    theirs = {
        (e.row_number - 1, e.field_name)
        for e in resource.validate(limit_errors=1_000_000).tasks[0].errors
    }
    assert ours  # the sample has missing values and malformed card numbers
    assert ours == theirs
