"""Encoding detection for text sources, and streamed transcoding to UTF-8 NFC.

Detection: a byte-order mark decides (UTF-8, UTF-16 LE/BE); bytes that are valid UTF-8 are
UTF-8; otherwise each legacy candidate (Windows-1258, TCVN3, VNI) decodes a sample and the one
that yields the most valid Vietnamese syllables wins (``score``).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from lienthong.ingest.sources.errors import InvalidEncoding
from lienthong.ingest.sources.legacy import decode_tcvn3, decode_vni

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
LEGACY = ("windows-1258", "tcvn3", "vni")
SUPPORTED = (UTF8, UTF8_BOM, "utf-16-le", "utf-16-be", "utf-16", *LEGACY)
_ALIASES = {
    "utf8": UTF8,
    "utf-8": UTF8,
    "utf-8-sig": UTF8_BOM,
    "utf8-sig": UTF8_BOM,
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "cp1258": "windows-1258",
    "windows-1258": "windows-1258",
    "tcvn3": "tcvn3",
    "tcvn": "tcvn3",
    "abc": "tcvn3",
    "vni": "vni",
    "vni-windows": "vni",
}
SAMPLE_BYTES = 1 << 20
_BLOCK = 4 << 20

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = "aăâeêioôơuưy"
_LETTERS = frozenset(
    "bcdđghklmnpqrstvxfjwz"
    + "".join(unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in ["", *_TONE_MARKS])
)
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?[aăâeêioôơuưy]{1,3}(ch|ng|nh|[cmnpt])?"
)
_WORD = re.compile(r"[^\W\d_]+")


def canonical(name: str) -> str:
    """The canonical name of a supported encoding, or InvalidEncoding."""
    found = _ALIASES.get(name.strip().lower().replace("_", "-"))
    if found is None:
        raise InvalidEncoding(
            f"unsupported encoding {name!r}; supported: {', '.join(SUPPORTED)}", where="encoding"
        )
    return found


def _strip_tones(word: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", word)
    tones = sum(1 for ch in decomposed if ch in _TONE_MARKS)
    bare = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tones


def score(text: str) -> tuple[int, int]:
    """(valid, invalid) counts of words with non-ASCII letters, judged as Vietnamese syllables.

    Non-ASCII characters outside the Vietnamese alphabet count as invalid too (a wrong legacy
    decoding produces ``µ``, ``¸``, ``ï``…).
    """
    valid = invalid = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        lower = word.lower()
        bare, tones = _strip_tones(lower)
        if tones <= 1 and all(ch in _LETTERS for ch in lower) and _SYLLABLE.fullmatch(bare):
            valid += 1
        else:
            invalid += 1
    invalid += sum(1 for ch in _WORD.sub("", text) if not ch.isascii() and not ch.isspace())
    return valid, invalid


def _decode_legacy(data: bytes, encoding: str) -> str:
    if encoding == "tcvn3":
        return decode_tcvn3(data)
    if encoding == "vni":
        return decode_vni(data)
    return data.decode(encoding, errors="strict")


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(UTF8)()
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class Detected:
    encoding: str
    scores: dict[str, tuple[int, int]]


def detect(sample: bytes, *, complete: bool) -> Detected:
    """Choose the encoding of a text sample (``complete`` if it is the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return Detected(UTF8_BOM, {})
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", {})
    if _is_utf8(sample, complete=complete):
        return Detected(UTF8, {})
    if not complete:  # a legacy line cut by the sample's end must not skew the score
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    scores: dict[str, tuple[int, int]] = {}
    for candidate in LEGACY:
        try:
            text = unicodedata.normalize("NFC", _decode_legacy(sample, candidate))
        except UnicodeDecodeError:
            continue
        scores[candidate] = score(text)
    if not scores:
        raise InvalidEncoding("the bytes are not text in any supported encoding")
    best = max(scores, key=lambda c: (scores[c][0] - 2 * scores[c][1], -LEGACY.index(c)))
    valid, invalid = scores[best]
    if valid == 0 or invalid > valid:
        raise InvalidEncoding(
            "the bytes are not UTF-8 and decode to no readable Vietnamese in Windows-1258, "
            "TCVN3 or VNI"
        )
    return Detected(best, scores)


def decode_sample(sample: bytes, encoding: str, *, complete: bool) -> str:
    """Decode the beginning of a file (a trailing partial line is dropped unless complete)."""
    if not complete:
        cut = sample.rfind(b"\n")
        sample = sample[: cut + 1] if cut >= 0 else sample
    if encoding in LEGACY:
        text = _decode_legacy(sample, encoding)
    else:
        text = codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=False)
    return unicodedata.normalize("NFC", text)


def _text_blocks(source: BinaryIO, encoding: str) -> Iterator[str]:
    """Decoded text in blocks that end at a line end (so a letter keeps its marks)."""
    if encoding in ("tcvn3", "vni"):  # stateless byte decoders: cut the bytes
        pending = b""
        while block := source.read(_BLOCK):
            data = pending + block
            cut = data.rfind(b"\n") + 1
            if cut:
                yield _decode_legacy(data[:cut], encoding)
            pending = data[cut:]
        yield _decode_legacy(pending, encoding)
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    carry = ""
    while block := source.read(_BLOCK):
        text = carry + decoder.decode(block)
        cut = text.rfind("\n") + 1
        yield text[:cut]
        carry = text[cut:]
    yield carry + decoder.decode(b"", final=True)


def transcode(source: BinaryIO, target: TextIO, encoding: str) -> None:
    """Stream ``source`` into ``target`` as UTF-8 NFC without holding the whole file."""
    try:
        for text in _text_blocks(source, encoding):
            target.write(unicodedata.normalize("NFC", text))
    except UnicodeDecodeError as exc:
        raise InvalidEncoding(f"bytes not valid {encoding}: {exc.reason}") from exc


def transcode_file(path: Path, target: Path, encoding: str) -> None:
    with path.open("rb") as src, target.open("w", encoding=UTF8, newline="") as dst:
        transcode(src, dst, encoding)
