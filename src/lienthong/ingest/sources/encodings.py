"""Encoding detection for text sources, and streamed transcoding to UTF-8 NFC.

Detection: a byte-order mark decides (UTF-8, UTF-16 LE/BE); a NUL byte in every other place
is UTF-16 without a mark; bytes that are valid UTF-8 are UTF-8; otherwise each legacy candidate
(Windows-1258, TCVN3, VNI) decodes a sample and the one that yields the most valid Vietnamese
syllables wins (``score``). ``choose`` then judges the text the chosen or declared encoding
gives: a declared encoding that reads the bytes as implausible text is refused.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from lienthong.findings import Finding
from lienthong.ingest.sources.errors import ImplausibleEncoding, InvalidEncoding
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
# Text is implausible when more words fail the syllable test than pass it, and at least this
# many fail (one foreign name in a file is not a wrong encoding).
IMPLAUSIBLE_WORDS = 3
# UTF-16 without a byte-order mark: the NUL half of ASCII characters in this share of the places.
_UTF16_NULS = 0.3

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
_FIELD_GAPS = re.compile(r"[\s,;|\"']+")


def canonical(name: str) -> str:
    """The canonical name of a supported encoding, or InvalidEncoding."""
    found = _ALIASES.get(name.strip().lower().replace("_", "-"))
    if found is None:
        raise InvalidEncoding(
            f"không hỗ trợ bảng mã {name!r}; các bảng mã được hỗ trợ: {', '.join(SUPPORTED)} / "
            f"unsupported encoding {name!r}; supported: {', '.join(SUPPORTED)}",
            where="encoding",
        )
    return found


def _strip_tones(word: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", word)
    tones = sum(1 for ch in decomposed if ch in _TONE_MARKS)
    bare = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    return unicodedata.normalize("NFC", bare), tones


def _is_syllable(word: str) -> bool:
    lower = word.lower()
    bare, tones = _strip_tones(lower)
    return tones <= 1 and all(ch in _LETTERS for ch in lower) and bool(_SYLLABLE.fullmatch(bare))


def score(text: str) -> tuple[int, int]:
    """(valid, invalid) counts of words with non-ASCII letters, judged as Vietnamese syllables.

    Non-ASCII characters outside the Vietnamese alphabet count as invalid too (a wrong legacy
    decoding produces ``µ``, ``¸``, ``ï``…).
    """
    valid = invalid = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if _is_syllable(word):
            valid += 1
        else:
            invalid += 1
    invalid += sum(1 for ch in _WORD.sub("", text) if not ch.isascii() and not ch.isspace())
    return valid, invalid


def implausible(counts: tuple[int, int]) -> bool:
    """Whether (valid, invalid) word counts say the text is not Vietnamese as it was written."""
    valid, invalid = counts
    return invalid > valid and invalid >= IMPLAUSIBLE_WORDS


def _examples(text: str, n: int = 3) -> list[str]:
    """The first few words that fail the syllable test, to show the sender."""
    found: list[str] = []
    for word in _FIELD_GAPS.split(text):
        if not word.isascii() and not all(_is_syllable(w) for w in _WORD.findall(word) or [word]):
            found.append(word)
            if len(found) == n:
                break
    return found


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


def _utf16_without_bom(sample: bytes, *, complete: bool) -> str | None:
    """UTF-16 LE or BE when the ASCII characters' NUL halves fill every other place."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : 2 * pairs : 2].count(0), sample[1 : 2 * pairs : 2].count(0)
    if odd >= pairs * _UTF16_NULS and even < odd / 10:
        candidate = "utf-16-le"
    elif even >= pairs * _UTF16_NULS and odd < even / 10:
        candidate = "utf-16-be"
    else:
        return None
    try:
        codecs.getincrementaldecoder(candidate)(errors="strict").decode(sample, final=complete)
    except UnicodeDecodeError:
        return None
    return candidate


def detect(sample: bytes, *, complete: bool) -> Detected:
    """Choose the encoding of a text sample (``complete`` if it is the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return Detected(UTF8_BOM, {})
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Detected("utf-16", {})
    utf16 = _utf16_without_bom(sample, complete=complete)
    if utf16 is not None:
        return Detected(utf16, {})
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
        raise InvalidEncoding(
            "tệp không phải văn bản theo bảng mã nào được hỗ trợ / "
            "the bytes are not text in any supported encoding"
        )
    best = max(scores, key=lambda c: (scores[c][0] - 2 * scores[c][1], -LEGACY.index(c)))
    valid, invalid = scores[best]
    if valid == 0 or invalid > valid:
        raise InvalidEncoding(
            "tệp không phải UTF-8 và không đọc ra tiếng Việt theo Windows-1258, TCVN3 hay VNI / "
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


def transcode(source: BinaryIO, target: TextIO, encoding: str, *, name: str = "") -> None:
    """Stream ``source`` into ``target`` as UTF-8 NFC without holding the whole file."""
    try:
        for text in _text_blocks(source, encoding):
            target.write(unicodedata.normalize("NFC", text))
    except UnicodeDecodeError as exc:
        raise InvalidEncoding(
            f"tệp {name} có byte không hợp lệ theo bảng mã {encoding} / "
            f"{name} has bytes not valid in {encoding}: {exc.reason}"
        ) from exc


def transcode_file(path: Path, target: Path, encoding: str, *, name: str) -> None:
    with path.open("rb") as src, target.open("w", encoding=UTF8, newline="") as dst:
        transcode(src, dst, encoding, name=name)


def first_invalid_utf8(path: Path) -> tuple[int, int] | None:
    """(byte offset, 1-based line) of the first byte that breaks UTF-8, read in blocks."""
    carry, offset, lines = b"", 0, 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(_BLOCK)
            data = carry + block
            try:
                _, used = codecs.utf_8_decode(data, "strict", not block)
            except UnicodeDecodeError as exc:
                return offset + exc.start, lines + data[: exc.start].count(b"\n") + 1
            if not block:
                return None
            lines += data[:used].count(b"\n")
            offset += used
            carry = data[used:]


@dataclass(frozen=True)
class Chosen:
    """The encoding a text file is read in, its first decoded text and what was found."""

    encoding: str
    text: str
    findings: list[Finding]


def choose(sample: bytes, *, declared: str | None, complete: bool, name: str) -> Chosen:
    """The encoding of a file that begins with ``sample``: ``declared`` or detected.

    A declared encoding that reads the bytes as implausible text is refused (``implausible-
    encoding``), naming the encoding detection finds when it reads them better; a Unicode file
    whose text is implausible (already garbled before it was saved as Unicode) is read with a
    warning (``implausible-text``).
    """
    encoding = canonical(declared) if declared else detect(sample, complete=complete).encoding
    try:
        text = decode_sample(sample, encoding, complete=complete)
    except UnicodeDecodeError as exc:
        detected = _detected(sample, complete=complete) if declared else None
        vi = f"tệp {name} không đọc được theo bảng mã {encoding}"
        en = f"{name} is not valid {encoding} ({exc.reason})"
        if detected is not None:
            vi += f"; tệp có vẻ dùng bảng mã {detected}"
            en += f"; it reads as {detected}"
        raise InvalidEncoding(f"{vi} / {en}", where="encoding" if declared else None) from exc
    counts = score(text)
    findings: list[Finding] = []
    if implausible(counts):
        shown = ", ".join(f"«{w}»" for w in _examples(text))
        detected = _detected(sample, complete=complete)
        if declared and (encoding in LEGACY or detected not in (None, encoding)):
            vi = f"tệp {name} đọc theo bảng mã {encoding} không ra chữ tiếng Việt ({shown})"
            en = f"read as {encoding}, {name} is not Vietnamese text ({shown})"
            if detected not in (None, encoding):
                vi += f"; tệp có vẻ dùng bảng mã {detected}"
                en += f"; it reads as {detected}"
            raise ImplausibleEncoding(f"{vi} / {en}", where="encoding")
        findings.append(
            Finding(
                None,
                None,
                "implausible-text",
                f"văn bản của tệp {name} không giống tiếng Việt ({shown}): có thể tệp đã bị "
                "chuyển mã sai trước khi gửi",
                f"the text of {name} does not read as Vietnamese ({shown}): it may have been "
                "converted wrongly before it was sent",
            )
        )
    if encoding not in (UTF8, UTF8_BOM):
        findings.append(
            Finding(
                None,
                None,
                "encoding-converted",
                f"đã chuyển từ {encoding} sang Unicode (UTF-8, NFC)",
                f"converted from {encoding} to Unicode (UTF-8, NFC)",
            )
        )
    return Chosen(encoding, text.lstrip("\ufeff"), findings)


def _detected(sample: bytes, *, complete: bool) -> str | None:
    """What detection reads the sample as, if it reads it as plausible text at all."""
    try:
        found = detect(sample, complete=complete).encoding
        text = decode_sample(sample, found, complete=complete)
    except (InvalidEncoding, UnicodeDecodeError):
        return None
    return None if implausible(score(text)) else found
