"""Identifiers of the synthetic province: personal IDs, tax codes, health-card numbers, phones.

All generators are vectorised over numpy arrays and draw from the caller's ``Generator`` so that
a seed fixes every value.
"""

from __future__ import annotations

import numpy as np

TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# Mobile prefixes of the three large carriers (Viettel, VinaPhone, MobiFone).
PHONE_PREFIXES = (
    "086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
    "088", "091", "094", "081", "082", "083", "084", "085",
    "089", "090", "093", "070", "076", "077", "078", "079",
)  # fmt: skip


def century_sex_digit(sex: int, year: int) -> int:
    """Digit 4 of a personal ID: 0/1 male/female born 1900s, 2/3 2000s, 4/5 2100s."""
    return 2 * ((year - 1900) // 100) + (0 if sex == 1 else 1)


def personal_id_agrees(personal_id: str, sex: int, year: int) -> bool:
    """True when a 12-digit ID carries the century/sex digit and year digits of the person."""
    return (
        len(personal_id) == 12
        and personal_id.isdigit()
        and int(personal_id[3]) == century_sex_digit(sex, year)
        and personal_id[4:6] == f"{year % 100:02d}"
    )


def personal_ids(
    rng: np.random.Generator, provinces: np.ndarray, sexes: np.ndarray, years: np.ndarray
) -> list[str]:
    """Unique 12-digit personal IDs: province (3), century+sex (1), year (2), random (6)."""
    count = len(sexes)
    digit4 = 2 * ((years - 1900) // 100) + (sexes == 2)
    prefix = provinces.astype(np.int64) * 1000 + digit4 * 100 + years % 100
    tails = rng.integers(0, 1_000_000, size=count)
    values = prefix * 1_000_000 + tails
    # Redraw the tails of any collision until every ID is unique.
    while True:
        _, first = np.unique(values, return_index=True)
        if len(first) == count:
            break
        repeat = np.ones(count, dtype=bool)
        repeat[first] = False
        tails = rng.integers(0, 1_000_000, size=int(repeat.sum()))
        values[repeat] = prefix[repeat] * 1_000_000 + tails
    return [f"{v:012d}" for v in values.tolist()]


def tax_check_digit(first9: str) -> int:
    """Check digit of a tax code, 10 when the sequence is unusable."""
    total = sum(w * int(d) for w, d in zip(TAX_WEIGHTS, first9, strict=True))
    return 10 - total % 11 if total % 11 else 10


def tax_code_valid(code: str) -> bool:
    base = code.split("-", 1)[0]
    if len(base) != 10 or not base.isdigit():
        return False
    if "-" in code and not (len(code) == 14 and code[11:].isdigit()):
        return False
    check = tax_check_digit(base[:9])
    return check < 10 and int(base[9]) == check


def tax_codes(rng: np.random.Generator, prefixes: list[str]) -> list[str]:
    """Unique 10-digit tax codes: province prefix, 7-digit sequence, check digit.

    Sequences whose check result is 10 are skipped, as the rule makes them unusable.
    """
    seen: set[str] = set()
    codes: list[str] = []
    for prefix in prefixes:
        while True:
            first9 = f"{prefix}{int(rng.integers(0, 10_000_000)):07d}"
            check = tax_check_digit(first9)
            if check < 10 and first9 not in seen:
                seen.add(first9)
                codes.append(f"{first9}{check}")
                break
    return codes


def wrong_tax_check(code: str) -> str:
    """The same code with a check digit that the rule rejects."""
    base = code[:9]
    good = tax_check_digit(base)
    return f"{base}{(good + 1 + int(code[9]) % 3) % 10}"


def phones(rng: np.random.Generator, count: int) -> list[str]:
    prefix = rng.integers(0, len(PHONE_PREFIXES), size=count)
    tails = rng.integers(0, 10_000_000, size=count)
    return [
        f"{PHONE_PREFIXES[p]}{t:07d}" for p, t in zip(prefix.tolist(), tails.tolist(), strict=True)
    ]


def unique_numbers(rng: np.random.Generator, count: int, digits: int) -> np.ndarray:
    """``count`` distinct non-negative integers below 10**digits."""
    high = 10**digits
    values = rng.integers(0, high, size=count, dtype=np.int64)
    while True:
        _, first = np.unique(values, return_index=True)
        if len(first) == count:
            return values
        repeat = np.ones(count, dtype=bool)
        repeat[first] = False
        values[repeat] = rng.integers(0, high, size=int(repeat.sum()), dtype=np.int64)
