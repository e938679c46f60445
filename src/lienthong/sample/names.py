"""Vietnamese personal names with realistic frequencies.

Family-name shares follow published surveys of Vietnamese surnames (Nguyễn ≈ 38 %, Trần ≈ 11 %,
Lê ≈ 9.5 %, Phạm ≈ 7 %, …). Middle names depend on sex and on the birth cohort (``Văn`` and
``Thị`` are far commoner among older people); given names follow a skewed, Zipf-like
distribution over the commonest names.
"""

from __future__ import annotations

import numpy as np

# (family name, share in percent); the tail shares the remainder.
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 4.5),
    ("Huỳnh", 0.5), ("Phan", 4.0), ("Vũ", 3.4), ("Võ", 0.5), ("Đặng", 2.1), ("Bùi", 2.0),
    ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đinh", 0.9),
    ("Đào", 0.9), ("Trịnh", 0.8), ("Mai", 0.6), ("Lương", 0.6), ("Đoàn", 0.6), ("Cao", 0.5),
    ("Vương", 0.3), ("Tạ", 0.4), ("Lại", 0.3), ("Hà", 0.5), ("Tô", 0.4), ("Chu", 0.3),
    ("Quách", 0.2), ("Lưu", 0.3), ("Phùng", 0.3), ("Kiều", 0.2), ("Triệu", 0.2),
    ("Nghiêm", 0.2), ("Khúc", 0.2), ("Đồng", 0.2), ("Thái", 0.2), ("Lâm", 0.2), ("Tăng", 0.1),
)  # fmt: skip

MIDDLE_MALE = (
    "Văn", "Đức", "Minh", "Hữu", "Quang", "Thành", "Xuân", "Mạnh", "Tuấn", "Hoàng", "Ngọc",
    "Thanh", "Duy", "Trung", "Tiến", "Công", "Đình", "Bá", "Gia", "Anh", "Việt", "Quốc",
)  # fmt: skip
MIDDLE_FEMALE = (
    "Thị", "Ngọc", "Thanh", "Thu", "Minh", "Phương", "Thùy", "Hồng", "Lan", "Mai", "Bảo",
    "Khánh", "Hoài", "Kim", "Diệu", "Quỳnh", "Thảo", "Hải", "Bích", "Vân",
)  # fmt: skip
GIVEN_MALE = (
    "Anh", "Hùng", "Dũng", "Tuấn", "Nam", "Hải", "Long", "Minh", "Đức", "Thành", "Quang",
    "Hoàng", "Sơn", "Cường", "Thắng", "Hiếu", "Huy", "Trung", "Phong", "Khánh", "Bình", "Tùng",
    "Hưng", "Vinh", "Tú", "Việt", "Kiên", "Bảo", "Khoa", "Đạt", "Phúc", "Lâm", "Toàn", "Hiệp",
    "Thịnh", "Quân", "Duy", "Tâm", "Thái", "Lộc", "Hiển", "Chiến", "Hậu", "Tiến", "Vũ", "Nghĩa",
)  # fmt: skip
GIVEN_FEMALE = (
    "Linh", "Hương", "Hà", "Trang", "Huyền", "Anh", "Lan", "Mai", "Ngọc", "Thảo", "Hạnh",
    "Phương", "Nga", "Hằng", "Thủy", "Yến", "Hoa", "Nhung", "Loan", "Dung", "Vân", "Thúy", "Chi",
    "Giang", "Hiền", "Oanh", "Hồng", "Nhi", "Vy", "Quỳnh", "Ly", "My", "Tâm", "Thu", "Liên",
    "Hậu", "Uyên", "Tuyết", "Xuân", "Ngân", "Diệp", "Khánh",
)  # fmt: skip


def _zipf(count: int, exponent: float = 0.9) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


def _shares(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], np.ndarray]:
    names = [n for n, _ in pairs]
    weights = np.array([w for _, w in pairs])
    return names, weights / weights.sum()


def _middle_weights(names: tuple[str, ...], old: bool) -> np.ndarray:
    weights = _zipf(len(names), 1.0)
    # Văn/Thị: most people born before 1990, far fewer since.
    weights[0] = weights[1:].sum() * (2.5 if old else 0.35)
    return weights / weights.sum()


def draw_family(rng: np.random.Generator, count: int) -> np.ndarray:
    names, weights = _shares(FAMILY_NAMES)
    return np.array(names, dtype=object)[rng.choice(len(names), size=count, p=weights)]


def draw_names(
    rng: np.random.Generator, sexes: np.ndarray, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Middle and given names for people of the given sexes (1 male, 2 female) and birth years."""
    count = len(sexes)
    middle = np.empty(count, dtype=object)
    given = np.empty(count, dtype=object)
    for sex, middles, givens in ((1, MIDDLE_MALE, GIVEN_MALE), (2, MIDDLE_FEMALE, GIVEN_FEMALE)):
        for old in (True, False):
            mask = (sexes == sex) & ((years < 1990) == old)
            n = int(mask.sum())
            pool = np.array(middles, dtype=object)
            middle[mask] = pool[rng.choice(len(middles), size=n, p=_middle_weights(middles, old))]
        mask = sexes == sex
        pool = np.array(givens, dtype=object)
        given[mask] = pool[rng.choice(len(givens), size=int(mask.sum()), p=_zipf(len(givens)))]
    return middle, given
