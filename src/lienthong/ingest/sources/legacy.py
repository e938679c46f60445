"""The Vietnamese font encodings of the 1990s: TCVN3 (ABC) and VNI-Windows, decoded to Unicode.

TCVN3 (TCVN 5712:1993, "VN3") is single-byte: each precomposed lower-case letter has its own
byte and only the seven upper-case letters Ă Â Ê Ô Ơ Ư Đ are encoded. A toned capital is
written as its capital base followed by the toned lower-case byte (``A¸`` = Á, ``¢È`` = Ẩ), as
conversion tools write it; the pair decodes as the one capital. Text typed in the
all-capitals ``.VnTimeH`` fonts used the lower-case bytes alone, and decodes as lower case.
VNI-Windows writes a letter as its ASCII base letter followed by one or two diacritic bytes
(``Vieät`` = Việt); a few letters (đ, ơ, ư, ỵ and the toned i's) have a byte of their own, and
some converters write ỷ as the single byte ``ë`` (standard: ``yû``), which is accepted too.
Bytes with no letter assigned decode as in Windows-1252.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

_CP1252_HOLES = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _base_table() -> list[str]:
    """Windows-1252, with its five undefined bytes passed through as Latin-1."""
    return [chr(b) if b in _CP1252_HOLES else bytes([b]).decode("cp1252") for b in range(256)]


# TCVN3 bytes of the 67 lower-case letters, in the order of _TCVN3_LETTERS.
_TCVN3_BYTES = bytes.fromhex(
    "b5b6b7b8b9"  # à ả ã á ạ
    "a8bbbcbdbec6"  # ă ằ ẳ ẵ ắ ặ
    "a9c7c8c9cacb"  # â ầ ẩ ẫ ấ ậ
    "ae"  # đ
    "cccecfd0d1"  # è ẻ ẽ é ẹ
    "aad2d3d4d5d6"  # ê ề ể ễ ế ệ
    "d7d8dcddde"  # ì ỉ ĩ í ị
    "dfe1e2e3e4"  # ò ỏ õ ó ọ
    "abe5e6e7e8e9"  # ô ồ ổ ỗ ố ộ
    "aceaebecedee"  # ơ ờ ở ỡ ớ ợ
    "eff1f2f3f4"  # ù ủ ũ ú ụ
    "adf5f6f7f8f9"  # ư ừ ử ữ ứ ự
    "fafbfcfdfe"  # ỳ ỷ ỹ ý ỵ
    "a1a2a3a4a5a6a7"  # Ă Â Ê Ô Ơ Ư Đ
)
_TCVN3_LETTERS = "àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵĂÂÊÔƠƯĐ"
assert len(_TCVN3_BYTES) == len(_TCVN3_LETTERS) == 74


def _tcvn3_table() -> str:
    table = _base_table()
    for byte, letter in zip(_TCVN3_BYTES, _TCVN3_LETTERS, strict=True):
        table[byte] = letter
    return "".join(table)


_NO_TONE = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"))


def _tcvn3_capitals() -> dict[str, str]:
    """Decoded pairs (capital base, toned lower-case letter) → the toned capital."""
    pairs: dict[str, str] = {}
    for letter in _TCVN3_LETTERS:
        decomposed = unicodedata.normalize("NFD", letter)
        base = unicodedata.normalize("NFC", decomposed.translate(_NO_TONE))
        if base != letter:
            pairs[base.upper() + letter] = letter.upper()
    return pairs


TCVN3_DECODING = _tcvn3_table()
TCVN3_CAPITALS = _tcvn3_capitals()
_TCVN3_PATTERN = re.compile("|".join(map(re.escape, TCVN3_CAPITALS)))
CP1252_DECODING = "".join(_base_table())

# VNI-Windows diacritic bytes, as Windows-1252 characters: (lower-case byte, upper-case byte).
_TONES = {"": "", "\u0301": "ùÙ", "\u0300": "øØ", "\u0309": "ûÛ", "\u0303": "õÕ", "\u0323": "ïÏ"}
_CIRCUMFLEX = {
    "": "âÂ",
    "\u0301": "áÁ",
    "\u0300": "àÀ",
    "\u0309": "åÅ",
    "\u0303": "ãÃ",
    "\u0323": "äÄ",
}
_BREVE = {"": "êÊ", "\u0301": "éÉ", "\u0300": "èÈ", "\u0309": "úÚ", "\u0303": "üÜ", "\u0323": "ëË"}
# Letters with a byte of their own (lower, upper), and the tone they carry on i.
_OWN = {"đ": "ñÑ", "ơ": "ôÔ", "ư": "öÖ", "ỵ": "îÎ"}
# A converter's single byte for ỷ; after a or A the same byte is the breve-and-dot mark (ặ).
_Y_HOOK = "ëË"
_I_TONES = {"\u0301": "íÍ", "\u0300": "ìÌ", "\u0309": "æÆ", "\u0303": "óÓ", "\u0323": "òÒ"}


def _compose(*parts: str) -> str:
    return unicodedata.normalize("NFC", "".join(parts))


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for letter, pair in _OWN.items():
        table[pair[0]] = letter
        table[pair[1]] = letter.upper()
    for tone, pair in _I_TONES.items():
        table[pair[0]] = _compose("i", tone)
        table[pair[1]] = _compose("I", tone)
    table[_Y_HOOK[0]], table[_Y_HOOK[1]] = "ỷ", "Ỷ"
    # (base as written, lower and upper, and the Unicode letter it stands for)
    bases = [(b, b.upper(), b) for b in "aeouy"] + [("ô", "Ô", "ơ"), ("ö", "Ö", "ư")]
    for lo, up, uni in bases:
        for tone, marks in _TONES.items():
            if not tone:
                continue
            for mark in marks:  # either case of the mark byte; the base decides the case
                table[lo + mark] = _compose(uni, tone)
                table[up + mark] = _compose(uni.upper(), tone)
    for lo in "aeo":
        for tone, marks in _CIRCUMFLEX.items():
            for mark in marks:
                table[lo + mark] = _compose(lo, "\u0302", tone)
                table[lo.upper() + mark] = _compose(lo.upper(), "\u0302", tone)
    for tone, marks in _BREVE.items():
        for mark in marks:
            table["a" + mark] = _compose("a", "\u0306", tone)
            table["A" + mark] = _compose("A", "\u0306", tone)
    return table


VNI_SEQUENCES = _vni_table()
_VNI_PATTERN = re.compile(
    "|".join(re.escape(k) for k in sorted(VNI_SEQUENCES, key=len, reverse=True))
)


def decode_tcvn3(data: bytes) -> str:
    text = codecs.charmap_decode(data, "strict", TCVN3_DECODING)[0]
    return _TCVN3_PATTERN.sub(lambda m: TCVN3_CAPITALS[m.group()], text)


def decode_vni(data: bytes) -> str:
    text = codecs.charmap_decode(data, "strict", CP1252_DECODING)[0]
    return _VNI_PATTERN.sub(lambda m: VNI_SEQUENCES[m.group()], text)
