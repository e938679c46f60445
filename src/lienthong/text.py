"""Vietnamese text: the one cleaning of text values, NFC, and diacritic-free folding for search.

Exchange between state bodies is Unicode NFC (TCVN 6909:2001). Every text value that enters the
platform — a source's cells and header, a replayed quarantine row, a value about to be
validated — is cleaned by :func:`clean_text`, so the rules live in one place.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_D = str.maketrans({"đ": "d", "Đ": "D"})

# Latin (and so Vietnamese) text differs from its NFC form only where it holds combining marks
# (U+0300–036F, U+1DC0–1DFF, U+20D0–20FF, U+FE20–FE2F) or a singleton NFC maps (Ω ohm, K kelvin,
# Å angstrom). Each begins with one of these UTF-8 byte sequences, so a text holding none of
# them is left as it is; a byte search for literals is far cheaper than normalising every value
# (or a regex class). Other characters sharing a prefix (variation selectors, …) are normalised.
_NOT_NFC_BYTES = (
    b"\xcc",  # U+0300–033F
    b"\xcd",  # U+0340–037F
    b"\xe1\xb7",  # U+1DC0–1DFF
    b"\xe2\x83",  # U+20C0–20FF
    b"\xef\xb8",  # U+FE00–FE3F
    b"\xe2\x84\xa6",  # Ω ohm sign
    b"\xe2\x84\xaa",  # K kelvin sign
    b"\xe2\x84\xab",  # Å angstrom sign
)
# C0 and C1 control characters but tab, line feed and carriage return (a quoted CSV field may
# hold a line break): no value a person typed holds one, and PostgreSQL text cannot hold NUL.
_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
# A name's leading white space and byte-order mark (a header cell can carry the file's BOM).
_LEADING_MARKS = r"^[\s\x{FEFF}]+"


def nfc(value: str) -> str:
    """Unicode NFC, as TCVN 6909:2001 exchange requires."""
    return unicodedata.normalize("NFC", value)


def may_need_nfc(text: pl.Expr) -> pl.Expr:
    """False where ``text`` certainly is NFC already (a byte search, no regex)."""
    raw = text.cast(pl.Binary)
    return pl.any_horizontal(raw.bin.contains(b) for b in _NOT_NFC_BYTES)


def has_control(text: pl.Expr) -> pl.Expr:
    """True where ``text`` holds a control character (NUL, ESC, …) other than a line break or
    tab; validation rejects such values (finding ``control-character``)."""
    return text.str.contains(_CONTROL)


def clean_text(values: pl.Expr, *, trim: bool = True, composed: bool = False) -> pl.Expr:
    """The one cleaning of text values: as text, NFC, surrounding white space removed
    (``trim``), and an empty value is missing (null). Other characters, control characters
    among them, are kept as they are (validation rejects those: :func:`has_control`).

    Sources keep values as written (``trim=False``: a quarantined value shows what was sent);
    validation trims. ``composed``: the caller knows no value needs NFC (it tested the whole
    source, or the values come from a source)."""
    text = values.cast(pl.Utf8)
    if not composed:
        text = pl.when(may_need_nfc(text)).then(text.str.normalize("NFC")).otherwise(text)
    if trim:
        text = text.str.strip_chars()
    # ``replace`` is twice as fast as when/then/otherwise here.
    return text.replace("", None)


def clean_names(names: list[str | None]) -> list[str | None]:
    """Header names cleaned like values, a leading byte-order mark dropped too (None: blank)."""
    raw = pl.Series("name", names, dtype=pl.Utf8).str.replace(_LEADING_MARKS, "")
    return pl.select(clean_text(pl.lit(raw))).to_series().to_list()


def fold(value: str) -> str:
    """Lower case, no diacritics, single spaces: ``"Phường  Phố Hiến"`` → ``"phuong pho hien"``."""
    decomposed = unicodedata.normalize("NFD", value.translate(_D))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()


def header_key(name: str) -> str:
    """What a column header is matched by: folded, each run of characters other than letters
    and digits one ``_`` (``"Số định danh/CCCD"`` and ``"so_dinh_danh cccd"`` alike give
    ``"so_dinh_danh_cccd"``)."""
    return _NOT_ALNUM.sub("_", fold(name)).strip("_")


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """Column-wise :func:`fold`: lower case, no diacritics, single spaces."""
    return (
        expr.str.replace_all("đ", "d")
        .str.replace_all("Đ", "D")
        .str.normalize("NFD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.to_lowercase()
    )
