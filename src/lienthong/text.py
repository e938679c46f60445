"""Vietnamese text helpers: NFC normalisation and diacritic-free folding for search."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_D = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(value: str) -> str:
    """Unicode NFC, as TCVN 6909:2001 exchange requires."""
    return unicodedata.normalize("NFC", value)


def fold(value: str) -> str:
    """Lower case, no diacritics, single spaces: ``"Phường  Phố Hiến"`` → ``"phuong pho hien"``."""
    decomposed = unicodedata.normalize("NFD", value.translate(_D))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()
