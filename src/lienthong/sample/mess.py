"""Realistic mess, with the truth about it.

At noise level ``r`` (a fraction, default 0.05), for each file:

- about ``2r`` of rows get one cosmetic change that the standard or the file's mapping absorbs
  (no diacritics, UPPER CASE, extra spaces, dd/mm/yyyy dates): these rows stay valid;
- ``round(r/2 · rows)`` rows (at least one of each kind when r > 0) get exactly one defect that
  must quarantine them, recorded with its finding code;
- ``round(r/10 · rows)`` later rows (at least two) repeat the key of an earlier valid row, half as
  exact copies, half with a conflicting non-key value: ``duplicate-key``;
- in the files that describe persons again (health cards, land holders), about ``2r`` of those
  rows differ from the citizen record as a clerk would make them differ (no diacritics, capitals,
  a typo, family name last, day and month of birth swapped, no personal ID, or in the land
  register no personal ID but the old 9-digit ID card after the name); they stay valid.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from lienthong.sample.communes import UNKNOWN_COMMUNE, UNKNOWN_OLD_COMMUNE
from lienthong.sample.identifiers import wrong_tax_check
from lienthong.sample.truth import SourceFile

DEFAULT_NOISE = 0.05
_D = str.maketrans({"đ": "d", "Đ": "D"})

# A defect: (finding code, function(file, row index, rng) -> applied?).
Defect = tuple[str, Callable[[SourceFile, int, np.random.Generator], bool]]
Change = Callable[[SourceFile, int, np.random.Generator], bool]


def no_diacritics(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value.translate(_D))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def typo(value: str, rng: np.random.Generator) -> str:
    """Swap two neighbouring letters after the first of the last word (or double the last)."""
    head, _, word = value.rpartition(" ")
    if len(word) >= 3:
        i = int(rng.integers(1, len(word) - 1))
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    else:
        word = word + word[-1:]
    return f"{head} {word}" if head else word


def family_last(value: str, rng: np.random.Generator) -> str:
    """Western order, family name last: ``Nguyễn Văn An`` → ``Văn An Nguyễn``."""
    family, _, rest = value.partition(" ")
    return f"{rest} {family}" if rest else value


def dmy(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def _set(column: str, make: Callable[[str, np.random.Generator], str | None]) -> Change:
    def change(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
        value = file.columns[column][i]
        if value is None:
            return False
        new = make(value, rng)
        if new == value:
            return False
        file.columns[column][i] = new
        return True

    return change


def _swap_day_month(value: str, rng: np.random.Generator) -> str:
    day, month = int(value[8:10]), int(value[5:7])
    return f"{value[:4]}-{day:02d}-{month:02d}" if day <= 12 else value


def _flip_sex_digit(value: str, rng: np.random.Generator) -> str:
    return value[:3] + str(int(value[3]) ^ 1) + value[4:]


def _shift_year(value: str, rng: np.random.Generator) -> str:
    year = int(value[:4]) + int(rng.choice([-3, -2, -1, 1, 2, 3]))
    return f"{year}-{value[5:7]}-{min(int(value[8:10]), 28):02d}"


def _const(new: str | None) -> Callable[[str, np.random.Generator], str | None]:
    return lambda _value, _rng: new


def _spaces(value: str, rng: np.random.Generator) -> str:
    return "  " + value.replace(" ", "  ", 1) + " "


UPPER = lambda value, _rng: value.upper()  # noqa: E731
PLAIN = lambda value, _rng: no_diacritics(value)  # noqa: E731

CITIZEN_COSMETIC: Sequence[Change] = (
    _set("full_name", PLAIN), _set("full_name", UPPER), _set("full_name", _spaces),
    _set("date_of_birth", lambda v, _r: dmy(v)), _set("address_line", UPPER),
)  # fmt: skip
CITIZEN_DEFECTS: Sequence[Defect] = (
    ("invalid-personal-id", _set("personal_id", lambda v, _r: v + "0")),
    ("personal-id-mismatch", _set("sex", lambda v, _r: "2" if v == "1" else "1")),
    ("personal-id-mismatch", _set("date_of_birth", _shift_year)),
    ("unknown-code", _set("ethnic_code", _const("99"))),
    ("unknown-code", _set("commune_code", _const(UNKNOWN_COMMUNE))),
    ("missing-value", _set("full_name", _const(None))),
    ("missing-value", _set("commune_code", _const(None))),
    ("pattern-mismatch", _set("phone", lambda v, _r: v[:9])),
)
BUSINESS_COSMETIC: Sequence[Change] = (_set("name", UPPER), _set("name", _spaces))
BUSINESS_DEFECTS: Sequence[Defect] = (
    ("invalid-tax-code", _set("tax_code", lambda v, _r: v if "-" in v else wrong_tax_check(v))),
    ("invalid-personal-id", _set("representative_id", lambda v, _r: v[:11])),
    ("unknown-code", _set("commune_code", _const(UNKNOWN_COMMUNE))),
    ("unknown-code", _set("legal_form", _const("TNHH"))),
    ("missing-value", _set("name", _const(None))),
)
PERSON_VARIANTS: Sequence[Change] = (
    _set("full_name", PLAIN), _set("full_name", UPPER), _set("full_name", typo),
    _set("full_name", family_last), _set("date_of_birth", _swap_day_month),
    _set("personal_id", _const(None)),
)  # fmt: skip
HEALTH_DEFECTS: Sequence[Defect] = (
    ("pattern-mismatch", _set("card_number", lambda v, _r: v[:2] + "0" + v[3:])),
    ("personal-id-mismatch", _set("personal_id", _flip_sex_digit)),
    ("invalid-personal-id", _set("personal_id", lambda v, _r: v + "0")),
    ("unknown-code", _set("commune_code", _const(UNKNOWN_COMMUNE))),
    ("unknown-code", _set("sex", _const("3"))),
    ("missing-value", _set("full_name", _const(None))),
)


def _old_card_in_name(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
    """No personal ID, the old 9-digit ID card (CMND) typed after the name instead; the first
    three digits are those Hưng Yên (145) and Thái Bình (151) issued."""
    holder, name = file.columns["holder_id"][i], file.columns["holder_name"][i]
    if holder is None or name is None:
        return False
    prefix = "145" if holder[:3] == "033" else "151"
    file.columns["holder_name"][i] = f"{name} - CMND {prefix}{int(rng.integers(0, 1_000_000)):06d}"
    file.columns["holder_id"][i] = None
    return True


def _person_held(change: Change) -> Change:
    def guarded(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
        holder = file.columns["holder_id"][i]
        return holder is not None and len(holder) == 12 and change(file, i, rng)

    return guarded


HOLDER_VARIANTS: Sequence[Change] = (
    _set("holder_name", PLAIN), _set("holder_name", UPPER), _set("holder_name", typo),
    _person_held(_set("holder_name", family_last)), _set("holder_id", _const(None)),
    _person_held(_old_card_in_name),
)  # fmt: skip


def lapsed_card_defects(ambiguous: Sequence[str]) -> Sequence[Defect]:
    """The health-card defects, plus old codes with several successors on pre-reform cards."""

    def ambiguous_code(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
        if not ambiguous or file.columns["valid_from"][i] >= "2025-07-01":
            return False
        file.columns["commune_code"][i] = ambiguous[int(rng.integers(len(ambiguous)))]
        return True

    return (("ambiguous-successor", ambiguous_code), *HEALTH_DEFECTS)


def land_defects(ambiguous: Sequence[str], keys: set[tuple[str, str, str]]) -> Sequence[Defect]:
    """Defects of the land register; ``keys`` holds every (commune, sheet, parcel) in use, so
    that a changed commune code never repeats another row's key."""

    def recode(pick: Callable[[np.random.Generator], str]) -> Change:
        def change(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
            cols = file.columns
            key = (pick(rng), cols["map_sheet"][i], cols["parcel_number"][i])
            if key in keys:
                return False
            keys.add(key)
            cols["commune_code"][i] = key[0]
            return True

        return change

    def business_held(change: Change) -> Change:
        def guarded(file: SourceFile, i: int, rng: np.random.Generator) -> bool:
            holder = file.columns["holder_id"][i]
            return holder is not None and len(holder) == 10 and change(file, i, rng)

        return guarded

    found: list[Defect] = []
    if ambiguous:
        pick = recode(lambda rng: ambiguous[int(rng.integers(len(ambiguous)))])
        found.append(("ambiguous-successor", pick))
    return (
        *found,
        ("unknown-predecessor", recode(lambda _rng: UNKNOWN_OLD_COMMUNE)),
        ("below-minimum", _set("area_m2", lambda v, _r: f"-{v}")),
        ("type-error", _set("map_sheet", lambda v, _r: f"{v}a")),
        ("invalid-tax-code", business_held(_set("holder_id", lambda v, _r: wrong_tax_check(v)))),
    )


def cosmetic(
    file: SourceFile,
    rng: np.random.Generator,
    rate: float,
    changes: Sequence[Change],
    *,
    skip: set[int] | None = None,
) -> int:
    """Apply one change to about ``rate`` of rows (never to rows in ``skip``); count applied."""
    if not changes or rate <= 0:
        return 0
    rows = np.flatnonzero(rng.random(len(file)) < rate).tolist()
    kinds = rng.integers(0, len(changes), size=len(rows)).tolist()
    applied = 0
    for i, k in zip(rows, kinds, strict=True):
        if skip and i in skip:
            continue
        applied += changes[k](file, i, rng)
    return applied


def defects(
    file: SourceFile, rng: np.random.Generator, rate: float, kinds: Sequence[Defect]
) -> None:
    """Give ``round(rate/2 · rows)`` rows (at least one per kind) exactly one defect."""
    if rate <= 0 or not kinds or not len(file):
        return
    wanted = min(len(file), max(len(kinds), round(rate / 2 * len(file))))
    order = rng.permutation(len(file)).tolist()
    k = 0
    for i in order:
        if wanted == 0:
            break
        for attempt in range(len(kinds)):
            code, apply = kinds[(k + attempt) % len(kinds)]
            if apply(file, i, rng):
                file.mark(i, code)
                wanted -= 1
                k += attempt + 1
                break


def duplicates(file: SourceFile, rng: np.random.Generator, rate: float, conflict: Change) -> None:
    """Repeat the keys of some valid rows later in the file (duplicate-key on the copies)."""
    if rate <= 0 or len(file) < 2:
        return
    count = max(2, round(rate / 10 * len(file)))
    valid = [i for i in range(len(file)) if i not in file.invalid]
    sources = rng.choice(valid, size=min(count, len(valid)), replace=False).tolist()
    # Each copy goes right after a random row at or after its source.
    after: dict[int, list[int]] = {}
    for s in sorted(sources):
        after.setdefault(int(rng.integers(s, len(file))), []).append(s)
    order: list[int] = []
    entity: list[str | None] = []
    copies: list[int] = []
    for j in range(len(file)):
        order.append(j)
        entity.append(file.entity[j])
        for s in after.get(j, []):
            copies.append(len(order))
            order.append(s)
            entity.append(None)
    file.take(order, entity)
    for n, new in enumerate(copies):
        file.mark(new, "duplicate-key")
        if n % 2:
            conflict(file, new, rng)
