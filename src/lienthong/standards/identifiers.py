"""Identifier rules as Polars expressions (columnar: no Python loop per row).

Personal ID (*số định danh cá nhân*), 12 digits: 1–3 birth-registration province (001–096),
4 century and sex (0/1 male/female born 1900s, 2/3 2000s, 4/5 2100s), 5–6 the last two digits
of the birth year. Tax code (*mã số thuế*): 10 digits whose last is a check digit
``10 − (Σ wᵢ·dᵢ mod 11)`` with weights 31 29 23 19 17 13 7 5 3 (10 is invalid), optionally
followed by a ``-NNN`` branch suffix.

Identity documents (*giấy tờ tùy thân*): a document type and a number, each type with its own
rule. ``cccd`` (citizen identity card: the personal ID, 12 digits, as above); ``cmnd`` (the
old identity card: 9 digits, or 12 on the cards issued 2012–2016); ``passport`` (*hộ chiếu*:
a Vietnamese one is one letter and 7 digits, a foreign one 6–9 letters and digits). Without a
declared type, the number's shape decides: 9 digits is a CMND, a letter and 7 digits a
passport, anything else is read as a personal ID.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
CCCD, CMND, PASSPORT = "cccd", "cmnd", "passport"
DOCUMENT_TYPES = (CCCD, CMND, PASSPORT)
CMND_SHAPE = r"^\d{9}$"
VN_PASSPORT_SHAPE = r"^[A-Z]\d{7}$"
TAX_SHAPE = r"^\d{10}(-\d{3})?$"


@dataclass(frozen=True)
class PersonalId:
    """A personal-ID column read once: the 12 digits as one number, and the rules on it.

    Casting the whole value is cheaper than slicing its digits out one group at a time."""

    value: pl.Expr

    @property
    def _number(self) -> pl.Expr:
        return self.value.cast(pl.Int64, strict=False)

    @property
    def _head(self) -> pl.Expr:  # digits 1–6: province ×1000 + century/sex ×100 + year
        return self._number // 1_000_000

    @property
    def _century_sex(self) -> pl.Expr:
        return self._head // 100 % 10

    @property
    def ok(self) -> pl.Expr:
        """True where the value is a well-formed personal ID (never null)."""
        digits = (
            (self.value.str.len_bytes() == 12)
            & (self._number >= 0)
            & ~self.value.str.starts_with("+")  # the integer cast accepts a sign
        )
        return (
            digits & (self._head // 1000).is_between(1, 96) & (self._century_sex <= 5)
        ).fill_null(False)

    def disagrees_with_sex(self, sex: pl.Expr) -> pl.Expr:
        """A sex code ``"1"`` (male) or ``"2"`` (female) the fourth digit contradicts."""
        female = self._century_sex % 2 == 1
        return ((sex == "1") & female) | ((sex == "2") & ~female)

    @property
    def birth_year(self) -> pl.Expr:
        """The birth year encoded by digits 4–6."""
        return 1900 + (self._century_sex // 2) * 100 + self._head % 100


def document_type(number: pl.Expr, declared: pl.Expr | None = None) -> pl.Expr:
    """The type of each document number: the declared one when it is a known type, else
    ``cmnd`` for 9 digits, ``passport`` for a letter and 7 digits, ``cccd`` otherwise."""
    detected = (
        pl.when(number.str.contains(CMND_SHAPE))
        .then(pl.lit(CMND))
        .when(number.str.contains(VN_PASSPORT_SHAPE))
        .then(pl.lit(PASSPORT))
        .otherwise(pl.lit(CCCD))
    )
    if declared is None:
        return detected
    return pl.when(declared.is_in(list(DOCUMENT_TYPES))).then(declared).otherwise(detected)


def cmnd_ok(value: pl.Expr) -> pl.Expr:
    """True where ``value`` is an old identity-card number: 9 digits, or 12 (2012–2016)."""
    return value.str.contains(r"^(\d{9}|\d{12})$").fill_null(False)


def passport_ok(value: pl.Expr) -> pl.Expr:
    """True where ``value`` is a passport number: Vietnamese (a letter and 7 digits) or
    foreign (6–9 capital letters and digits, at least one digit)."""
    return (
        value.str.contains(VN_PASSPORT_SHAPE)
        | (value.str.contains(r"^[A-Z0-9]{6,9}$") & value.str.contains(r"\d"))
    ).fill_null(False)


def tax_code_ok(value: pl.Expr) -> pl.Expr:
    """True where ``value`` is a tax code whose check digit holds."""
    digits = [value.str.slice(i, 1).cast(pl.Int32, strict=False) for i in range(10)]
    total = pl.sum_horizontal(w * d for w, d in zip(TAX_WEIGHTS, digits, strict=False))
    check = 10 - total % 11
    return (value.str.contains(TAX_SHAPE) & (check < 10) & (check == digits[9])).fill_null(False)


def tax_code_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the rule gives 10 (no valid code)."""
    total = sum(w * int(d) for w, d in zip(TAX_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check
