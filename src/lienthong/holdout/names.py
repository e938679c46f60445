"""Vietnamese personal names: family, middle and given names with realistic frequencies.

Every name token lives once in ``VOCAB``; a person's name is a handful of indices into it.
Weights are relative (they need not sum to 100).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Family names (*họ*), percent of the population.
FAMILY = (
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Hoàng", 4.0),
    ("Huỳnh", 1.0),
    ("Phan", 4.5),
    ("Vũ", 3.0),
    ("Võ", 1.0),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Đào", 1.2),
    ("Đoàn", 1.0),
    ("Vương", 0.4),
    ("Trịnh", 0.9),
    ("Đinh", 1.0),
    ("Lâm", 0.4),
    ("Phùng", 0.5),
    ("Mai", 0.7),
    ("Tô", 0.5),
    ("Hà", 0.8),
    ("Tạ", 0.5),
    ("Lương", 0.6),
    ("Cao", 0.7),
    ("Chu", 0.4),
    ("Kiều", 0.3),
    ("Lại", 0.3),
    ("Quách", 0.3),
    ("Triệu", 0.2),
    ("Nghiêm", 0.2),
    ("Khúc", 0.1),
    ("Lưu", 0.4),
)

# Middle names (*tên đệm*) by sex, weighted (born before 1990, born 1990 or later):
# "Văn" and "Thị" give way to a wider choice among the young.
MIDDLE_MALE = (
    ("Văn", 50, 22),
    ("Đức", 8, 10),
    ("Hữu", 6, 4),
    ("Minh", 4, 12),
    ("Quang", 4, 8),
    ("Công", 5, 4),
    ("Xuân", 4, 3),
    ("Đình", 6, 3),
    ("Tiến", 3, 4),
    ("Ngọc", 3, 3),
    ("Thanh", 3, 4),
    ("Mạnh", 2, 3),
    ("Duy", 1, 5),
    ("Hoàng", 1, 5),
    ("Trung", 2, 3),
    ("Thế", 2, 2),
    ("Bá", 2, 1),
    ("Việt", 1, 3),
    ("Gia", 0.2, 4),
    ("Bảo", 0.2, 4),
    ("Hải", 1, 3),
)
MIDDLE_FEMALE = (
    ("Thị", 60, 25),
    ("Ngọc", 5, 10),
    ("Thu", 5, 6),
    ("Thanh", 5, 6),
    ("Minh", 1, 8),
    ("Hồng", 4, 4),
    ("Phương", 2, 5),
    ("Kim", 3, 4),
    ("Bích", 3, 2),
    ("Thúy", 2, 3),
    ("Lan", 1, 3),
    ("Mai", 1, 4),
    ("Diệu", 1, 3),
    ("Khánh", 0.3, 5),
    ("Quỳnh", 0.5, 4),
    ("Hoài", 1, 2),
    ("Bảo", 0.2, 4),
    ("Hải", 1, 3),
    ("Tuyết", 1, 1),
)
# The first of two middle names ("Nguyễn Thị Thu Hà"): a traditional one.
FIRST_OF_TWO_MALE = ("Văn", "Đức", "Hữu", "Đình")
FIRST_OF_TWO_FEMALE = ("Thị",)

# Given names (*tên*), most common first; weights fall off as a Zipf law.
GIVEN_MALE = (
    "Anh", "Hùng", "Dũng", "Tuấn", "Nam", "Long", "Hải", "Hiếu", "Minh", "Đức", "Thắng",
    "Cường", "Hoàng", "Huy", "Quân", "Sơn", "Trung", "Tùng", "Thành", "Phong", "Khoa",
    "Khánh", "Bình", "Toàn", "Việt", "Kiên", "Thịnh", "Lâm", "Lộc", "Phúc", "Tài", "Hưng",
    "Vinh", "Quang", "Hiệp", "Đạt", "Thái", "Tú", "Nghĩa", "Hậu", "Trọng", "Tiến", "Vũ",
    "Duy", "Bảo", "Chiến", "Định", "Giang", "Hào", "Hợp", "Lợi", "Mạnh", "Nhật", "Quý",
    "Tâm", "Thuận", "Trường", "Khải", "Phú", "Thanh",
)  # fmt: skip
GIVEN_FEMALE = (
    "Hương", "Lan", "Linh", "Hà", "Trang", "Huyền", "Thảo", "Ngọc", "Phương", "Yến", "Anh",
    "Mai", "Hoa", "Hằng", "Nhung", "Thủy", "Hạnh", "Thu", "Loan", "Dung", "Hồng", "Nga",
    "Oanh", "Quỳnh", "Vân", "Ly", "My", "Nhi", "Giang", "Tâm", "Hiền", "Liên", "Lệ",
    "Tuyết", "Diệp", "Châu", "Chi", "Hậu", "Khánh", "Lụa", "Nguyệt", "Nhàn", "Phượng",
    "Thoa", "Thơm", "Thúy", "Trinh", "Tươi", "Uyên", "Vy", "Xuân", "Bích", "Cúc", "Duyên",
    "Hòa", "Hân", "Thư", "Hải", "Huệ", "Thanh",
)  # fmt: skip
ZIPF_EXPONENT = 1.1
ZIPF_OFFSET = 1.5

VOCAB: tuple[str, ...] = tuple(
    dict.fromkeys(
        [n for n, _ in FAMILY]
        + [n for n, *_ in MIDDLE_MALE + MIDDLE_FEMALE]
        + list(GIVEN_MALE + GIVEN_FEMALE)
    )
)
_INDEX = {name: i for i, name in enumerate(VOCAB)}
NO_NAME = -1


def _table(names: list[str], weights: list[float]) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(weights, dtype=np.float64)
    return np.asarray([_INDEX[n] for n in names], dtype=np.int16), w / w.sum()


def _zipf(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    ranks = np.arange(len(names), dtype=np.float64)
    return _table(list(names), list((ranks + ZIPF_OFFSET) ** -ZIPF_EXPONENT))


@dataclass(frozen=True)
class NameDraws:
    """Name tokens of a population as vocabulary indices (``NO_NAME`` for no second middle)."""

    family: np.ndarray
    middle1: np.ndarray
    middle2: np.ndarray
    given: np.ndarray


def draw_family(rng: np.random.Generator, n: int) -> np.ndarray:
    codes, p = _table([f for f, _ in FAMILY], [w for _, w in FAMILY])
    return rng.choice(codes, size=n, p=p)


def draw_given(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    out = np.empty(len(female), dtype=np.int16)
    for is_female, names in ((False, GIVEN_MALE), (True, GIVEN_FEMALE)):
        codes, p = _zipf(names)
        rows = np.flatnonzero(female == is_female)
        out[rows] = rng.choice(codes, size=len(rows), p=p)
    return out


def _draw_middle(rng: np.random.Generator, female: np.ndarray, young: np.ndarray) -> np.ndarray:
    out = np.empty(len(female), dtype=np.int16)
    for is_female, table in ((False, MIDDLE_MALE), (True, MIDDLE_FEMALE)):
        for is_young in (False, True):
            names = [row[0] for row in table]
            codes, p = _table(names, [float(row[2 if is_young else 1]) for row in table])
            rows = np.flatnonzero((female == is_female) & (young == is_young))
            out[rows] = rng.choice(codes, size=len(rows), p=p)
    return out


def draw_names(
    rng: np.random.Generator,
    female: np.ndarray,
    birth_year: np.ndarray,
    *,
    two_middle_female: float,
    two_middle_male: float,
) -> NameDraws:
    """Names for a population; a few people get two middle names."""
    n = len(female)
    young = birth_year >= 1990
    family = draw_family(rng, n)
    middle1 = _draw_middle(rng, female, young)
    given = draw_given(rng, female)
    middle2 = np.full(n, NO_NAME, dtype=np.int16)
    two = rng.random(n) < np.where(female, two_middle_female, two_middle_male)
    rows = np.flatnonzero(two)
    if len(rows):
        second = middle1[rows].copy()
        middle2[rows] = second
        first_f = np.asarray([_INDEX[x] for x in FIRST_OF_TWO_FEMALE], dtype=np.int16)
        first_m = np.asarray([_INDEX[x] for x in FIRST_OF_TWO_MALE], dtype=np.int16)
        middle1[rows] = np.where(
            female[rows],
            rng.choice(first_f, size=len(rows)),
            rng.choice(first_m, size=len(rows)),
        )
    # "Thị Thị", "Thu Thu" or "Minh Minh" is nobody's name: draw the clashing part again.
    while True:
        rows = np.flatnonzero((middle2 != NO_NAME) & ((middle2 == middle1) | (middle2 == given)))
        if len(rows):
            middle2[rows] = _draw_middle(rng, female[rows], young[rows])
        same = np.flatnonzero(middle1 == given)
        if len(same):
            given[same] = draw_given(rng, female[same])
        if not len(rows) and not len(same):
            break
    return NameDraws(family=family, middle1=middle1, middle2=middle2, given=given)


def token(index: int) -> str:
    return VOCAB[index]


def index_of(name: str) -> int:
    return _INDEX[name]
