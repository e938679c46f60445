"""Reading a generated data set back and judging each record against the true person, from
the files alone (never from the manifest or the generator's internals)."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lienthong.text import fold

SOURCES = ("population.csv", "health_insurance.csv", "land.csv")
REGISTRY_DATA = Path(__file__).resolve().parents[2] / "src/lienthong/registry/data"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def codes_2025() -> frozenset[str]:
    rows = read_csv(REGISTRY_DATA / "units_2025.csv")
    return frozenset(r["code"] for r in rows if r["level"] == "commune")


@cache
def successors() -> dict[str, frozenset[str]]:
    """Pre-2025 commune code → the 2025 communes it became (straight from the official CSV)."""
    found: defaultdict[str, set[str]] = defaultdict(set)
    for r in read_csv(REGISTRY_DATA / "units_pre2025_to_2025.csv"):
        found[r["old_commune_code"]].add(r["new_commune_code"])
    return {k: frozenset(v) for k, v in found.items()}


def stands_for(code: str) -> frozenset[str]:
    """The 2025 communes a written commune code means."""
    return frozenset({code}) if code in codes_2025() else successors().get(code, frozenset())


@dataclass
class DataSet:
    root: Path
    entities: dict[str, dict[str, str]]
    sources: dict[str, list[dict[str, str]]]
    truth: dict[str, list[str]]  # source → entity id of data row 1, 2, …
    manifest: dict[str, object] = field(default_factory=dict)

    def records(self, source: str) -> list[tuple[dict[str, str], dict[str, str]]]:
        """(record, its true person) for every row of a source."""
        return [
            (row, self.entities[entity])
            for row, entity in zip(self.sources[source], self.truth[source], strict=True)
        ]


def load(root: Path) -> DataSet:
    truth: defaultdict[str, list[str]] = defaultdict(list)
    for r in read_csv(root / "truth.csv"):
        assert int(r["record_id"]) == len(truth[r["source"]]) + 1
        truth[r["source"]].append(r["entity_id"])
    return DataSet(
        root=root,
        entities={r["entity_id"]: r for r in read_csv(root / "entities.csv")},
        sources={s: read_csv(root / s) for s in SOURCES},
        truth=dict(truth),
        manifest=json.loads((root / "manifest.json").read_text("utf-8")),
    )


# --- judging one record --------------------------------------------------------------------

NAME_FIELD = {
    "population.csv": "full_name",
    "health_insurance.csv": "full_name",
    "land.csv": "holder_name",
}
ID_FIELD = {
    "population.csv": "personal_id",
    "health_insurance.csv": "personal_id",
    "land.csv": "holder_id",
}
BIRTH_FIELD = {
    "population.csv": "date_of_birth",
    "health_insurance.csv": "date_of_birth",
    "land.csv": "holder_birth",
}


def true_tokens(person: dict[str, str]) -> list[str]:
    return [person["family_name"], *person["middle_name"].split(), person["given_name"]]


def name_cases(written: str, person: dict[str, str]) -> set[str]:
    """Which name hard cases a written name shows against the true name."""
    found = set()
    if written != unicodedata.normalize("NFC", written):
        found.add("name_nfd")
    if written != " ".join(written.split()):
        found.add("name_whitespace")
    text = unicodedata.normalize("NFC", " ".join(written.split()))
    if text == text.upper():
        found.add("name_all_caps")
    truth = " ".join(true_tokens(person))
    stripped = text.isascii() and not truth.isascii()
    if stripped:
        found.add("name_no_diacritics")
    got = text.lower().split()
    want = (fold(truth) if stripped else truth.lower()).split()
    if got == want:
        return found
    if got == [want[-1], *want[:-1]]:
        return found | {"name_reversed"}
    assert len(got) == len(want), (written, truth)
    (a, b), *more = [(x, y) for x, y in zip(got, want, strict=True) if x != y]
    assert not more, (written, truth)
    if len(a) == len(b) + 1:
        kind = "double"
    elif len(a) == len(b) - 1:
        kind = "drop"
    elif fold(a) == fold(b):
        kind = "tone"
    else:
        kind = "substitute"
    return found | {"name_typo", f"name_typo_{kind}"}


def parse_date(text: str) -> tuple[int, int, int]:
    if "/" in text:
        d, m, y = text.split("/")
    else:
        y, m, d = text.split("-")
    return int(y), int(m), int(d)


def swappable(person: dict[str, str]) -> bool:
    _, m, d = parse_date(person["date_of_birth"])
    return d <= 12 and m <= 12 and d != m


def birth_cases(written: str, person: dict[str, str]) -> set[str]:
    y, m, d = parse_date(person["date_of_birth"])
    if written == "":
        return {"birth_missing"}
    if len(written) == 4:
        assert int(written) == y, (written, person)
        return {"birth_year_only"}
    got = parse_date(written)
    if got == (y, m, d):
        return set()
    assert got == (y, d, m), (written, person)
    return {"dob_day_month_swapped"}


def id_cases(written: str, person: dict[str, str]) -> set[str]:
    pid = person["personal_id"]
    if written == pid:
        return set()
    if written == "":
        return {"id_missing"}
    if person["old_id"] and written == person["old_id"]:
        return {"id_old_cmnd"}
    assert len(written) == 12 and written.isdigit(), (written, person)
    diff = [i for i in range(12) if written[i] != pid[i]]
    if len(diff) == 1:
        return {"id_wrong_digit"}
    i, j = diff
    assert j == i + 1 and written[i] == pid[j] and written[j] == pid[i], (written, pid)
    return {"id_transposed"}


def commune_cases(code: str, person: dict[str, str]) -> set[str]:
    found = set()
    if code not in codes_2025():
        found.add("commune_pre2025")
    if person["commune_code"] not in stands_for(code):
        found.add("commune_moved")
    return found


def record_cases(source: str, row: dict[str, str], person: dict[str, str]) -> set[str]:
    return (
        name_cases(row[NAME_FIELD[source]], person)
        | birth_cases(row[BIRTH_FIELD[source]], person)
        | id_cases(row[ID_FIELD[source]], person)
        | commune_cases(row["commune_code"], person)
    )
