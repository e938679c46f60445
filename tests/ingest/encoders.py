"""Encoders into the legacy Vietnamese font encodings, written independently of the decoders
(from each letter's decomposition) so that round trips test the decoding tables."""

from __future__ import annotations

import unicodedata

# tone → (VNI lower byte, VNI upper byte)
_VNI_TONE = {"\u0301": "ùÙ", "\u0300": "øØ", "\u0309": "ûÛ", "\u0303": "õÕ", "\u0323": "ïÏ"}
_VNI_HAT = {
    None: "âÂ",
    "\u0301": "áÁ",
    "\u0300": "àÀ",
    "\u0309": "åÅ",
    "\u0303": "ãÃ",
    "\u0323": "äÄ",
}
_VNI_BREVE = {
    None: "êÊ",
    "\u0301": "éÉ",
    "\u0300": "èÈ",
    "\u0309": "úÚ",
    "\u0303": "üÜ",
    "\u0323": "ëË",
}
_VNI_I = {"\u0301": "íÍ", "\u0300": "ìÌ", "\u0309": "æÆ", "\u0303": "óÓ", "\u0323": "òÒ"}
_TONES = set(_VNI_TONE)


def _parts(ch: str) -> tuple[str, str | None, str | None]:
    """(base letter, quality mark: circumflex/breve/horn, tone)."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    tone = next((m for m in marks if m in _TONES), None)
    quality = next((m for m in marks if m not in _TONES), None)
    return base, quality, tone


def encode_vni(text: str) -> bytes:
    out = []
    for ch in unicodedata.normalize("NFC", text):
        upper = ch.isupper()
        case = 1 if upper else 0
        if ch in "đĐ":
            out.append("ñÑ"[case])
            continue
        base, quality, tone = _parts(ch)
        if ch.isascii() or base.lower() not in "aeiouy":
            out.append(ch)
            continue
        if base.lower() == "i" and tone:
            out.append(_VNI_I[tone][case])
            continue
        if quality == "\u031b":  # horn: ơ ư have bytes of their own
            out.append({"o": "ôÔ", "u": "öÖ"}[base.lower()][case])
            if tone:
                out.append(_VNI_TONE[tone][0])
            continue
        out.append(base)
        if quality == "\u0302":
            out.append(_VNI_HAT[tone][0])
        elif quality == "\u0306":
            out.append(_VNI_BREVE[tone][0])
        elif tone:
            out.append(_VNI_TONE[tone][0])
    return "".join(out).encode("cp1252")


# TCVN3 lower-case letters as published in conversion tables (same order as the byte string).
_TCVN3_UNICODE = "àảãáạăằẳẵắặâầẩẫấậđèẻẽéẹêềểễếệìỉĩíịòỏõóọôồổỗốộơờởỡớợùủũúụưừửữứựỳỷỹýỵ"
_TCVN3_CHARS = "µ¶·¸¹¨»¼½¾Æ©ÇÈÉÊË®ÌÎÏÐÑªÒÓÔÕÖ×ØÜÝÞßáâãä«åæçèé¬êëìíîïñòóô\xadõö÷øùúûüýþ"
_TCVN3_UPPER = {"Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7}


def encode_tcvn3(text: str) -> bytes:
    table = {u: t.encode("latin-1")[0] for u, t in zip(_TCVN3_UNICODE, _TCVN3_CHARS, strict=True)}
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_UPPER:
            out.append(_TCVN3_UPPER[ch])
        elif ch.isascii():
            out.append(ord(ch))
        else:
            out.append(table[ch.lower()])  # toned capitals exist only in the lower-case bytes
    return bytes(out)


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese keyboards wrote it: base letter + combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        base, quality, tone = _parts(ch)
        letter = unicodedata.normalize("NFC", base + (quality or ""))
        out += letter.encode("cp1258")
        if tone:
            out += tone.encode("cp1258")
    return bytes(out)
