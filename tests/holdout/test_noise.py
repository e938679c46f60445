"""Each kind of mistake changes the value, and only in the way its name says."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from lienthong.holdout import noise
from lienthong.text import fold

NAMES = ("Nguyễn", "Hương", "Diệp", "Anh", "Quỳnh", "Lưu", "Thủy", "Đặng", "Hà", "Ngọc")


def _tones(token: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFD", token) if c in noise.TONES]


def test_strip_diacritics_keeps_case() -> None:
    assert noise.strip_diacritics("Nguyễn Văn Hùng") == "Nguyen Van Hung"
    assert noise.strip_diacritics("ĐẶNG THỊ THU HÀ") == "DANG THI THU HA"


@pytest.mark.parametrize("token", NAMES)
def test_a_tone_typo_changes_exactly_one_tone_and_nothing_else(token: str) -> None:
    rng = np.random.default_rng(5)
    for _ in range(25):
        wrong = noise.tone_typo(token, rng)
        assert wrong != token
        assert wrong == unicodedata.normalize("NFC", wrong)
        assert len(wrong) == len(token)  # still one precomposed letter per vowel
        assert fold(wrong) == fold(token)
        assert len(_tones(wrong)) == 1  # replaced or added, never removed


@pytest.mark.parametrize("kind", ["substitute", "drop", "double"])
@pytest.mark.parametrize("token", NAMES)
def test_a_letter_typo_touches_one_plain_letter(kind: str, token: str) -> None:
    rng = np.random.default_rng(9)
    if not noise.can_typo(token, kind):
        assert kind == "drop" and len(token) < 3  # "Hà" has no letter to drop
        return
    for _ in range(25):
        wrong = noise.letter_typo(token, kind, rng)
        assert wrong != token
        # The diacritics stay as they were: a letter typo never strips or adds one.
        assert [c for c in wrong if not c.isascii()] == [c for c in token if not c.isascii()]
        assert len(wrong) - len(token) == {"substitute": 0, "drop": -1, "double": 1}[kind]
        assert wrong[0] == token[0] or kind == "substitute"


def test_sound_alike_substitutions_happen() -> None:
    rng = np.random.default_rng(1)
    seen = {noise.letter_typo("Lan", "substitute", rng) for _ in range(200)}
    assert "Nan" in seen  # l/n, as the northern accent confuses them


def test_transposition_swaps_two_different_neighbours() -> None:
    rng = np.random.default_rng(2)
    for _ in range(50):
        wrong = noise.transpose_digits("033089001234", rng)
        assert wrong is not None and wrong != "033089001234"
        diff = [i for i in range(12) if wrong[i] != "033089001234"[i]]
        assert len(diff) == 2 and diff[1] == diff[0] + 1
    assert noise.transpose_digits("111111111111", rng) is None


def test_wrong_digit_changes_one_digit() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        wrong = noise.wrong_digit("033089001234", rng)
        assert sum(a != b for a, b in zip(wrong, "033089001234", strict=True)) == 1


def test_a_corrupted_id_never_lands_on_someone_elses() -> None:
    rng = np.random.default_rng(4)
    real = "033089001234"
    # Every variant but one is somebody's ID: the slip must be that one.
    free = "033089001243"
    out = noise.corrupt_id(real, "transposed", rng, lambda v: v != free)
    assert out == free
    assert noise.corrupt_id(real, "wrong_digit", rng, lambda v: True) is None


def test_whitespace_noise_changes_only_spaces() -> None:
    rng = np.random.default_rng(6)
    for _ in range(30):
        noisy = noise.whitespace("Nguyễn Văn Hùng", rng)
        assert noisy != "Nguyễn Văn Hùng"
        assert " ".join(noisy.split()) == "Nguyễn Văn Hùng"
