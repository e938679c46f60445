"""A clerk's mistakes, one at a time: each function takes a correct value and returns it
with one plausible error (never random garbage)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import numpy as np

# Combining marks (NFD): the five tone marks, and the vowel modifiers they sit after.
TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
MODIFIERS = ("\u0302", "\u0306", "\u031b")
VOWELS = frozenset("aeiouyAEIOUY")
_D = str.maketrans({"đ": "d", "Đ": "D"})
# Letters a clerk confuses: by sound in the northern accent (l/n, s/x, i/y, …), else the
# neighbouring key.
SOUNDS_ALIKE = {"l": "n", "n": "l", "s": "x", "x": "s", "i": "y", "y": "i", "r": "d", "d": "r"}
NEIGHBOURS = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "ol", "a": "qsz", "s": "adwx", "d": "sfex", "f": "dgrc",
    "g": "fhtv", "h": "gjyb", "j": "hkun", "k": "jlim", "l": "kop", "z": "asx", "x": "zsc",
    "c": "xdv", "v": "cfb", "b": "vgn", "n": "bhm", "m": "njk",
}  # fmt: skip
TYPO_KINDS = ("substitute", "drop", "double", "tone")


def strip_diacritics(text: str) -> str:
    """``"Nguyễn Văn Hùng"`` → ``"Nguyen Van Hung"`` (case kept, đ → d)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def letter_positions(token: str, kind: str) -> list[int]:
    """Where a letter typo of ``kind`` may fall: plain letters only, so that a typo never
    adds or removes a diacritic; a drop keeps the first letter and leaves two."""
    if kind == "drop":
        return [i for i, ch in enumerate(token) if i > 0 and _ascii_letter(ch)] * (len(token) >= 3)
    return [i for i, ch in enumerate(token) if _ascii_letter(ch)]


def _same_case(new: str, old: str) -> str:
    return new.upper() if old.isupper() else new


def letter_typo(token: str, kind: str, rng: np.random.Generator) -> str:
    """One letter of ``token`` substituted, dropped or doubled (see ``letter_positions``)."""
    positions = letter_positions(token, kind)
    i = positions[int(rng.integers(len(positions)))]
    ch = token[i]
    if kind == "drop":
        return token[:i] + token[i + 1 :]
    if kind == "double":
        return token[:i] + ch + token[i:]
    lower = ch.lower()
    if lower in SOUNDS_ALIKE and rng.random() < 0.5:
        new = SOUNDS_ALIKE[lower]
    else:
        options = NEIGHBOURS[lower]
        new = options[int(rng.integers(len(options)))]
    return token[:i] + _same_case(new, ch) + token[i + 1 :]


def tone_typo(token: str, rng: np.random.Generator) -> str:
    """The wrong tone mark: another tone in place of the one written, or one added where the
    syllable has none. A tone is never just removed (that would be a missing diacritic)."""
    chars = list(unicodedata.normalize("NFD", token))
    marks = [i for i, ch in enumerate(chars) if ch in TONES]
    if marks:
        old = chars.pop(marks[0])
        others = [t for t in TONES if t != old]
        # Back to the vowel the tone sat on, then past its modifiers: the new tone goes
        # there (a tone before a circumflex would compose to another letter).
        base = marks[0] - 1
        while base > 0 and unicodedata.combining(chars[base]):
            base -= 1
        at = base + 1
        while at < len(chars) and chars[at] in MODIFIERS:
            at += 1
        chars.insert(at, others[int(rng.integers(len(others)))])
    else:
        vowels = [i for i, ch in enumerate(chars) if ch in VOWELS]
        modified = [i for i in vowels if i + 1 < len(chars) and chars[i + 1] in MODIFIERS]
        # The tone sits on the modified vowel (ư, ơ, â …), else on the last vowel of a closed
        # syllable, else on the first of an open syllable's vowels: near enough for a typo.
        closed = vowels and vowels[-1] < len(chars) - 1
        at = modified[-1] + 1 if modified else (vowels[-1] if closed else vowels[0])
        chars.insert(at + 1, TONES[int(rng.integers(len(TONES)))])
    return unicodedata.normalize("NFC", "".join(chars))


def can_typo(token: str, kind: str) -> bool:
    if kind == "tone":
        return any(ch in VOWELS for ch in unicodedata.normalize("NFD", token))
    return bool(letter_positions(token, kind))


def typo(token: str, kind: str, rng: np.random.Generator) -> str:
    return tone_typo(token, rng) if kind == "tone" else letter_typo(token, kind, rng)


def whitespace(text: str, rng: np.random.Generator) -> str:
    """A double space between two words, or a stray leading or trailing space."""
    variant = int(rng.integers(4))
    if variant == 0:
        parts = text.split(" ")
        i = int(rng.integers(1, len(parts)))
        return " ".join(parts[:i]) + "  " + " ".join(parts[i:])
    if variant == 1:
        return " " + text
    if variant == 2:
        return text + " "
    return " " + text + "  "


def transpose_digits(digits: str, rng: np.random.Generator) -> str | None:
    """Two adjacent, different digits swapped; None if every neighbour is equal."""
    spots = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1]]
    if not spots:
        return None
    i = spots[int(rng.integers(len(spots)))]
    return digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]


def wrong_digit(digits: str, rng: np.random.Generator) -> str:
    """One digit replaced by another."""
    i = int(rng.integers(len(digits)))
    new = str((int(digits[i]) + int(rng.integers(1, 10))) % 10)
    return digits[:i] + new + digits[i + 1 :]


def corrupt_id(
    digits: str,
    kind: str,
    rng: np.random.Generator,
    taken: Callable[[str], bool],
) -> str | None:
    """``digits`` with a ``kind`` error ("transposed" or "wrong_digit") that does not land on
    another person's correct ID; None when no such variant turns up."""
    for _ in range(20):
        new = transpose_digits(digits, rng) if kind == "transposed" else wrong_digit(digits, rng)
        if new is not None and not taken(new):
            return new
    return None
