"""Identifier rules as Polars expressions (columnar: no Python loop per row).

Personal ID (*số định danh cá nhân*), 12 digits: 1–3 birth-registration province (001–096),
4 century and sex (0/1 male/female born 1900s, 2/3 2000s, 4/5 2100s), 5–6 the last two digits
of the birth year. Tax code (*mã số thuế*): 10 digits whose last is a check digit
``10 − (Σ wᵢ·dᵢ mod 11)`` with weights 31 29 23 19 17 13 7 5 3 (10 is invalid), optionally
followed by a ``-NNN`` branch suffix.
"""

from __future__ import annotations

import polars as pl

TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def personal_id_ok(value: pl.Expr) -> pl.Expr:
    """True where ``value`` is a well-formed personal ID (null stays null)."""
    province = value.str.slice(0, 3).cast(pl.Int32, strict=False)
    century_sex = value.str.slice(3, 1).cast(pl.Int32, strict=False)
    return (
        value.str.contains(r"^\d{12}$") & province.is_between(1, 96) & (century_sex <= 5)
    ).fill_null(False)


def personal_id_sex(value: pl.Expr) -> pl.Expr:
    """The sex code (``"1"`` male, ``"2"`` female) that the ID's fourth digit encodes."""
    digit = value.str.slice(3, 1).cast(pl.Int32, strict=False)
    return (digit % 2 + 1).cast(pl.Utf8)


def personal_id_year(value: pl.Expr) -> pl.Expr:
    """The birth year encoded by digits 4–6."""
    digit = value.str.slice(3, 1).cast(pl.Int32, strict=False)
    short = value.str.slice(4, 2).cast(pl.Int32, strict=False)
    return 1900 + (digit // 2) * 100 + short


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
