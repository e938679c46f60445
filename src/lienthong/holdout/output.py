"""Writing the files: each source CSV with its rows in ``truth.csv``, and ``entities.csv``."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from lienthong.holdout import names
from lienthong.holdout.people import NONE, Persons
from lienthong.holdout.places import Province

TRUTH_HEADER = ("source", "record_id", "entity_id")
ENTITY_HEADER = (
    "entity_id",
    "family_name",
    "middle_name",
    "given_name",
    "sex",
    "date_of_birth",
    "personal_id",
    "old_id",
    "commune_code",
    "former_commune_code",
    "twin_of",
)
BLOCK = 50_000


def _writer(handle: Any) -> Any:
    return csv.writer(handle, lineterminator="\n")


@contextmanager
def open_truth(path: Path) -> Iterator[Any]:
    """A CSV writer for ``truth.csv``, its header written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = _writer(handle)
        out.writerow(TRUTH_HEADER)
        yield out


def write_source(
    path: Path,
    header: tuple[str, ...],
    chunks: Iterable[tuple[list[tuple[str, ...]], list[str]]],
    truth: Any,
) -> int:
    """Write one source file chunk by chunk, adding each row's entity to ``truth``;
    the number of data rows."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = _writer(handle)
        out.writerow(header)
        for rows, entities in chunks:
            out.writerows(rows)
            truth.writerows(
                (path.name, written + k + 1, entity) for k, entity in enumerate(entities)
            )
            written += len(rows)
    return written


def _entity_rows(persons: Persons, province: Province) -> Iterator[tuple[str, ...]]:
    codes = [c.code for c in province.communes]
    for start in range(0, len(persons), BLOCK):
        rows = np.arange(start, min(start + BLOCK, len(persons)))
        dob = persons.dob[rows].astype(str).tolist()
        for k, row in enumerate(rows.tolist()):
            middle = names.token(persons.middle1[row])
            if persons.middle2[row] != names.NO_NAME:
                middle += " " + names.token(persons.middle2[row])
            old, former, twin = persons.old_id[row], persons.former[row], persons.twin_of[row]
            yield (
                persons.entity_id(row),
                names.token(persons.family[row]),
                middle,
                names.token(persons.given[row]),
                "2" if persons.female[row] else "1",
                dob[k],
                f"{persons.pid[row]:012d}",
                "" if old == NONE else f"{old:09d}",
                codes[persons.home[row]],
                "" if former == NONE else codes[former],
                "" if twin == NONE else persons.entity_id(int(twin)),
            )


def write_entities(path: Path, persons: Persons, province: Province) -> int:
    """``entities.csv``: every true person with the correct values (the answer key)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = _writer(handle)
        out.writerow(ENTITY_HEADER)
        out.writerows(_entity_rows(persons, province))
    return len(persons)
