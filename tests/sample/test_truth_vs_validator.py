"""truth.json agrees with the standards' validator, row by row, without a database.

Each file is read by the ingest readers, mapped with its mapping file, and validated with the
built-in standard and code lists; the rows with an error finding must be exactly the truth's
invalid rows, each carrying at least the truth's codes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lienthong.registry.loader import builtin_units
from lienthong.sample import generate_province
from tests.sample.factories import truth_of

mapping_mod = pytest.importorskip("lienthong.ingest.mapping")
sources_mod = pytest.importorskip("lienthong.ingest.sources")
codelists_mod = pytest.importorskip("lienthong.standards.codelists")
schema_mod = pytest.importorskip("lienthong.standards.schema")
service_mod = pytest.importorskip("lienthong.standards.service")
validate_mod = pytest.importorskip("lienthong.standards.validate")

LOAD_DAY = date(2025, 11, 1)


def _code_lists() -> dict[str, list[object]]:
    version = codelists_mod.CodeListVersion
    old, new, _ = builtin_units()
    found: dict[str, list[object]] = {
        "admin-unit": [
            version("admin-unit", "pre2025", "", None, date(2025, 6, 30),
                    {u["code"]: "" for u in old if u["level"] == "commune"}),
            version("admin-unit", "2025", "", date(2025, 7, 1), None,
                    {u["code"]: "" for u in new if u["level"] == "commune"}),
        ]
    }  # fmt: skip
    for spec in codelists_mod.builtin_codelists():
        entries = {e["code"]: "" for e in spec["entries"]}
        found[spec["name"]] = [version(spec["name"], spec["version"], "", None, None, entries)]
    return found


def _successions() -> pl.DataFrame:
    _, _, edges = builtin_units()
    return pl.DataFrame(
        [(e["from_code"], e["to_code"]) for e in edges],
        schema={"from_code": pl.Utf8, "to_code": pl.Utf8},
        orient="row",
    )


def _verdicts(out: Path, name: str, entry: dict[str, object]) -> dict[int, set[str]]:
    spec = schema_mod.parse_standard(service_mod.builtin_document(entry["standard"]))
    lists = _code_lists()
    book = validate_mod.CodeBook({f.name: lists[f.codelist] for f in spec.fields if f.codelist})
    source = sources_mod.open_source(out / name, chunk_rows=1_000_000)
    frame = pl.concat(list(source.chunks()))
    assert frame.height == entry["rows"]
    mapping = (
        mapping_mod.Mapping.load(out / str(entry["mapping"]))
        if entry["mapping"]
        else mapping_mod.Mapping.for_standard(spec)
    )
    mapped, mapping_findings = mapping_mod.apply_mapping(frame, mapping, successions=_successions())
    checked = validate_mod.validate_frame(mapped, spec, book, today=LOAD_DAY)
    errors = mapping_findings.filter(pl.col("severity") == "error").drop("severity")
    found: dict[int, set[str]] = {}
    for row, code in pl.concat([checked.findings, errors]).select("row", "code").iter_rows():
        if row is not None:
            found.setdefault(int(row), set()).add(code)
    return found


@pytest.mark.parametrize("noise", [0.05, 0.2])
def test_quarantined_rows_are_exactly_the_truth(tmp_path: Path, noise: float) -> None:
    generate_province(tmp_path, persons=2500, seed=21, noise=noise)
    truth = truth_of(tmp_path)
    for name, entry in truth["files"].items():
        found = _verdicts(tmp_path, name, entry)
        wanted = {int(row): set(codes) for row, codes in entry["invalid"].items()}
        assert set(found) == set(wanted), name
        for row, codes in wanted.items():
            if "unknown-predecessor" in codes and "unknown-code" in found[row]:
                # The validator names a code that no mapping could re-key unknown-code too.
                continue
            assert codes <= found[row], (name, row, codes, found[row])
