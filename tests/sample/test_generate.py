"""The synthetic province: determinism, valid identifiers, realistic names, truthful noise."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from lienthong.errors import ValidationFailed
from lienthong.sample import generate_province
from lienthong.sample.communes import province
from lienthong.sample.identifiers import personal_id_agrees, tax_code_valid
from lienthong.sample.writers import to_cp1258
from tests.sample.factories import read_rows, truth_of


def _digests(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


def _birth(value: str) -> date:
    if "/" in value:
        day, month, year = value.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(value)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province")
    generate_province(out, persons=3000, seed=7)
    return out


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    generate_province(tmp_path / "a", persons=400, seed=11)
    generate_province(tmp_path / "b", persons=400, seed=11)
    generate_province(tmp_path / "c", persons=400, seed=12)
    first, second = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert first == second
    assert len(first) == 9
    assert _digests(tmp_path / "c")["citizens.csv"] != first["citizens.csv"]


def test_same_seed_in_other_processes_gives_identical_bytes(tmp_path: Path) -> None:
    """Nothing depends on Python's per-process hash seed (set iteration order)."""
    script = "import sys; from lienthong.sample import generate_province; " + (
        "generate_province(sys.argv[1], persons=300, seed=8)"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / hash_seed)], check=True, env=env
        )
    assert _digests(tmp_path / "1") == _digests(tmp_path / "2")


def test_every_file_in_truth_exists_with_its_row_count(sample: Path) -> None:
    truth = truth_of(sample)
    assert set(truth["files"]) == {
        "citizens.csv", "businesses.xlsx", "health_insurance.jsonl",
        "health_insurance_2024.jsonl", "land_parcels.csv",
    }  # fmt: skip
    for name, spec in truth["files"].items():
        assert len(read_rows(sample / name)) == spec["rows"]
        if spec["mapping"]:
            assert (sample / spec["mapping"]).is_file()
        assert all(1 <= int(row) <= spec["rows"] for row in spec["invalid"])
    for entity in truth["entities"]:
        for record in entity["records"]:
            spec = truth["files"][record["file"]]
            assert 1 <= record["row"] <= spec["rows"]
            assert str(record["row"]) not in spec["invalid"]


def test_clean_citizens_carry_ids_that_agree_with_sex_and_year(sample: Path) -> None:
    truth = truth_of(sample)["files"]["citizens.csv"]
    rows = read_rows(sample / "citizens.csv")
    clean = [r for i, r in enumerate(rows, 1) if str(i) not in truth["invalid"]]
    assert len(clean) == len(rows) - len(truth["invalid"])
    for row in clean:
        year = _birth(row["date_of_birth"]).year
        assert personal_id_agrees(row["personal_id"], int(row["sex"]), year), row
        assert row["personal_id"][:3] in {"033", "034", "001", "030", "031", "035", "036",
                                          "022", "079"}  # fmt: skip
    assert len({r["personal_id"] for r in clean}) == len(clean)
    phones = [r["phone"] for r in clean if r["phone"]]
    assert phones and all(len(p) == 10 and p.startswith("0") and p.isdigit() for p in phones)
    codes = {c.code for c in province("33").communes}
    assert {r["commune_code"] for r in clean} <= codes


def test_invalid_rows_break_the_rule_their_code_names(sample: Path) -> None:
    truth = truth_of(sample)["files"]["citizens.csv"]
    rows = read_rows(sample / "citizens.csv")
    seen: set[str] = set()
    by_code: Counter[str] = Counter()
    for i, row in enumerate(rows, 1):
        codes = truth["invalid"].get(str(i), [])
        by_code.update(codes)
        if "duplicate-key" in codes:
            assert row["personal_id"] in seen
        elif "invalid-personal-id" in codes:
            assert len(row["personal_id"]) != 12
        elif "personal-id-mismatch" in codes:
            year = _birth(row["date_of_birth"]).year
            assert not personal_id_agrees(row["personal_id"], int(row["sex"]), year)
        elif "missing-value" in codes:
            assert row["full_name"] is None or row["commune_code"] is None
        else:
            assert row["personal_id"] not in seen
        seen.add(row["personal_id"])
    assert set(by_code) == {
        "invalid-personal-id", "personal-id-mismatch", "unknown-code", "missing-value",
        "pattern-mismatch", "duplicate-key",
    }  # fmt: skip


def test_business_tax_codes_hold_their_check_digit(sample: Path) -> None:
    truth = truth_of(sample)["files"]["businesses.xlsx"]
    rows = read_rows(sample / "businesses.xlsx")
    bad = {int(r) for r, codes in truth["invalid"].items() if "invalid-tax-code" in codes}
    assert bad
    for i, row in enumerate(rows, 1):
        assert tax_code_valid(row["tax_code"]) == (i not in bad), row
    assert any("-" in r["tax_code"] for r in rows) or len(rows) < 200
    websites = [r["has_website"] for r in rows]
    assert 0.45 < sum(websites) / len(websites) < 0.75
    assert all(isinstance(r["registration_date"], date) for r in rows)


def test_family_names_follow_national_frequencies(tmp_path: Path) -> None:
    generate_province(tmp_path, persons=20_000, seed=3, noise=0)
    rows = read_rows(tmp_path / "citizens.csv")
    family = Counter(r["full_name"].split()[0] for r in rows)
    share = {name: n / len(rows) for name, n in family.items()}
    assert 0.35 < share["Nguyễn"] < 0.41
    assert 0.09 < share["Trần"] < 0.13
    assert 0.08 < share["Lê"] < 0.11
    assert family.most_common(3)[0][0] == "Nguyễn"
    middles = Counter(r["full_name"].split()[1] for r in rows if r["sex"] == "2")
    assert middles.most_common(1)[0][0] == "Thị"


def test_noise_zero_writes_no_invalid_row(tmp_path: Path) -> None:
    summary = generate_province(tmp_path, persons=600, seed=5, noise=0)
    truth = truth_of(tmp_path)
    assert all(not spec["invalid"] for spec in truth["files"].values())
    assert all(f.invalid == 0 for f in summary.files)
    persons = [e for e in truth["entities"] if e["kind"] == "person"]
    assert len(persons) == 600


def test_noise_counts_match_the_truth(tmp_path: Path) -> None:
    summary = generate_province(tmp_path, persons=4000, seed=9, noise=0.1)
    truth = truth_of(tmp_path)
    for f in summary.files:
        spec = truth["files"][f.name]
        assert f.invalid == len(spec["invalid"])
        assert f.rows == spec["rows"]
        duplicates = sum("duplicate-key" in c for c in spec["invalid"].values())
        clean_rows = f.rows - duplicates
        # round(r/2 · rows) defects and round(r/10 · rows) repeated keys, as documented.
        assert abs(f.invalid - duplicates - round(0.05 * clean_rows)) <= 1
        assert duplicates == max(2, round(0.01 * clean_rows))


def test_land_register_is_windows_1258_with_old_commune_codes(sample: Path) -> None:
    raw = (sample / "land_parcels.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = unicodedata.normalize("NFC", raw.decode("cp1258"))
    assert text.startswith("Mã xã,Số tờ bản đồ,Số thửa")
    place = province("33")
    old_codes = {old for c in place.communes for old in c.predecessors}
    truth = truth_of(sample)["files"]["land_parcels.csv"]
    for i, row in enumerate(read_rows(sample / "land_parcels.csv"), 1):
        codes = truth["invalid"].get(str(i), [])
        if "ambiguous-successor" in codes:
            assert row["commune_code"] in place.ambiguous_old
        elif "unknown-predecessor" not in codes:
            assert row["commune_code"] in old_codes


def test_older_cards_carry_pre_2025_codes_until_the_reform(sample: Path) -> None:
    place = province("33")
    old_codes = {old for c in place.communes for old in c.predecessors}
    new_codes = {c.code for c in place.communes}
    truth = truth_of(sample)["files"]["health_insurance_2024.jsonl"]
    current = {r["card_number"] for r in read_rows(sample / "health_insurance.jsonl")}
    before = after = 0
    for i, row in enumerate(read_rows(sample / "health_insurance_2024.jsonl"), 1):
        assert row["card_number"] not in current
        if str(i) in truth["invalid"]:
            continue
        if row["valid_from"] < "2025-07-01":
            before += 1
            assert row["commune_code"] in old_codes
        else:
            after += 1
            assert row["commune_code"] in new_codes
    assert before > 100
    assert after > 0


def test_entities_link_the_same_person_across_files(sample: Path) -> None:
    truth = truth_of(sample)
    rows = {name: read_rows(sample / name) for name in truth["files"]}
    multi = [e for e in truth["entities"] if e["kind"] == "person" and len(e["records"]) > 1]
    assert len(multi) > 1000
    for entity in multi[:300]:
        ids = set()
        for record in entity["records"]:
            row = rows[record["file"]][record["row"] - 1]
            ids.add(row.get("personal_id") or row.get("holder_id"))
        assert len(ids - {None}) == 1, entity


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        generate_province(tmp_path, persons=10, province="99")
    assert caught.value.code == "invalid-sample-option"
    with pytest.raises(ValidationFailed):
        generate_province(tmp_path, persons=10, noise=0.9)


def test_windows_1258_round_trips_every_vietnamese_letter() -> None:
    vowels = "aăâeêioôơuưy"
    letters = [
        unicodedata.normalize("NFC", v + tone)
        for v in vowels + vowels.upper()
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    ]
    text = " ".join(letters) + " đĐ Nguyễn Thị Hường"
    encoded = to_cp1258(text)
    assert unicodedata.normalize("NFC", encoded.decode("cp1258")) == text
