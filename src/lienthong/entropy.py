"""How guessable a configured secret is: a conservative estimate in bits.

Length × log2(alphabet) alone calls 24 × ``a`` 112 bits; the estimate takes, per character, the
smaller of the alphabet's size in bits and the string's own Shannon entropy, so repeated or
low-diversity strings score what they are worth (24 × ``a``: 0 bits). A random value of 32
bytes (``secrets.token_urlsafe(32)`` or ``token_hex(32)``) scores well over the 128 required.
"""

from __future__ import annotations

import math
import string
from collections import Counter

MIN_SECRET_BITS = 128
HOW_TO_MAKE_ONE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"

_CLASSES = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
    (frozenset(string.punctuation + " "), 33),
)


def estimated_bits(secret: str) -> float:
    if not secret:
        return 0.0
    alphabet = sum(size for members, size in _CLASSES if any(c in members for c in secret))
    if any(ord(c) > 127 for c in secret):
        alphabet += 100
    n = len(secret)
    shannon = -sum(k / n * math.log2(k / n) for k in Counter(secret).values())
    return n * min(math.log2(max(alphabet, 1)), shannon)


def strong_enough(secret: str) -> bool:
    return estimated_bits(secret) >= MIN_SECRET_BITS
