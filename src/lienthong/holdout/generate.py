"""One run of the generator: the population, three sources, the truth and the manifest."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lienthong.holdout import health, land, register
from lienthong.holdout.output import open_truth, write_entities, write_source
from lienthong.holdout.people import NONE, Persons, draw_persons
from lienthong.holdout.places import province
from lienthong.holdout.rates import HEALTH, LAND, POPULATION, REGISTER, SPEC_VERSION, as_dict
from lienthong.holdout.records import Clerk, stream

SOURCES = ("population.csv", "health_insurance.csv", "land.csv")
RECORD_TAGS = (
    "name_all_caps",
    "name_no_diacritics",
    "name_reversed",
    "name_typo",
    "name_typo_substitute",
    "name_typo_drop",
    "name_typo_double",
    "name_typo_tone",
    "name_whitespace",
    "name_nfd",
    "dob_day_month_swapped",
    "birth_year_only",
    "birth_missing",
    "id_missing",
    "id_old_cmnd",
    "id_transposed",
    "id_wrong_digit",
    "commune_pre2025",
    "commune_moved",
)
PERSONS_KEY = 0


@dataclass(frozen=True)
class Manifest:
    """What a run made: its seed and size, row counts per file, and how many of each hard
    case (persons, and records per source)."""

    seed: int
    persons: int
    files: dict[str, int]
    hard_cases: dict[str, dict[str, int]]
    spec_version: str = SPEC_VERSION
    rates: dict[str, Any] = field(default_factory=as_dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def person_cases(persons: Persons) -> dict[str, int]:
    """Namesakes (same full name, birth year and commune: planted and by chance), twin pairs,
    movers and holders of an old ID."""
    key = persons.family.astype(np.int64)
    for column, size in (
        (persons.middle1, 512),
        (persons.middle2 + 1, 512),
        (persons.given, 512),
        (persons.birth_year - 1900, 256),
        (persons.home, 512),
    ):
        key = key * size + column.astype(np.int64)
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return {
        "namesake_persons": int((counts[inverse] >= 2).sum()),
        "namesake_groups": int((counts >= 2).sum()),
        "twin_pairs": int((persons.twin_of != NONE).sum() // 2),
        "movers": int((persons.former != NONE).sum()),
        "old_id_holders": int((persons.old_id != NONE).sum()),
    }


def generate(*, out_dir: Path, persons: int, seed: int) -> Manifest:
    """Write ``population.csv``, ``health_insurance.csv``, ``land.csv``, ``truth.csv``,
    ``entities.csv`` and ``manifest.json`` to ``out_dir``; the same seed gives the same bytes."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    place = province()
    people = draw_persons(stream(seed, PERSONS_KEY), persons, place, POPULATION)
    taken = people.id_lookup()
    files: dict[str, int] = {}
    cases: dict[str, dict[str, int]] = {"persons": person_cases(people)}
    with open_truth(out_dir / "truth.csv") as truth:
        for name, module, rates in (
            ("population.csv", register, REGISTER),
            ("health_insurance.csv", health, HEALTH),
            ("land.csv", land, LAND),
        ):
            tags: Counter[str] = Counter()
            clerk = Clerk(rates=rates, province=place, taken=taken, tags=tags)
            chunks = module.rows(seed=seed, persons=people, clerk=clerk, rates=POPULATION)
            files[name] = write_source(out_dir / name, module.HEADER, chunks, truth)
            cases[name] = {tag: tags[tag] for tag in RECORD_TAGS}
    files["truth.csv"] = sum(files[s] for s in SOURCES)
    files["entities.csv"] = write_entities(out_dir / "entities.csv", people, place)
    manifest = Manifest(seed=seed, persons=persons, files=files, hard_cases=cases)
    (out_dir / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest
