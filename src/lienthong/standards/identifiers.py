"""Identifier rules as Polars expressions (columnar: no Python loop per row).

Personal ID (*số định danh cá nhân*), 12 digits: 1–3 birth-registration province (001–096),
4 century and sex (0/1 male/female born 1900s, 2/3 2000s, 4/5 2100s), 5–6 the last two digits
of the birth year. Tax code (*mã số thuế*): 10 digits whose last is a check digit
``10 − (Σ wᵢ·dᵢ mod 11)`` with weights 31 29 23 19 17 13 7 5 3 (10 is invalid), optionally
followed by a ``-NNN`` branch suffix.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


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


def tax_code_ok(value: pl.Expr) -> pl.Expr:
    """True where ``value`` is a tax code whose check digit holds."""
    digits = [value.str.slice(i, 1).cast(pl.Int32, strict=False) for i in range(10)]
    total = pl.sum_horizontal(w * d for w, d in zip(TAX_WEIGHTS, digits, strict=False))
    check = 10 - total % 11
    return (
        value.str.contains(r"^\d{10}(-\d{3})?$") & (check < 10) & (check == digits[9])
    ).fill_null(False)


def tax_code_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the rule gives 10 (no valid code)."""
    total = sum(w * int(d) for w, d in zip(TAX_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check
