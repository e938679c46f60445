"""The population of the synthetic province: one row per real person, before any mess."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from lienthong.sample.communes import Province
from lienthong.sample.identifiers import personal_ids, phones
from lienthong.sample.names import draw_family, draw_names
from lienthong.sample.truth import SourceFile

REFERENCE_DATE = date(2025, 7, 1)

# Share of the population by five-year age band (0-4 … 90-94), close to Vietnam's 2024 pyramid.
AGE_BANDS = (7.5, 8.3, 8.0, 7.0, 7.0, 7.6, 8.2, 8.0, 7.4, 6.8, 6.0, 5.4, 4.6, 3.5, 2.3, 1.4, 0.9,
             0.5, 0.2)  # fmt: skip

# Ethnic groups present in the Red River Delta: nearly everyone is Kinh (01).
ETHNIC = (("01", 0.994), ("04", 0.002), ("02", 0.0015), ("03", 0.001), ("06", 0.001),
          ("07", 0.0005))  # fmt: skip

# Birth-registration provinces for people born elsewhere (Hà Nội, Hải Dương, Hải Phòng,
# Hà Nam, Nam Định, Quảng Ninh, Hồ Chí Minh City).
OTHER_BIRTH_PROVINCES = np.array([1, 30, 31, 35, 36, 22, 79])

HAMLETS = ("Đông", "Tây", "Nam", "Bắc", "Trung", "Thượng", "Hạ", "An Lạc", "Phú Cường",
           "Tân Lập", "Bình Minh", "Đoài", "Cầu", "Chùa", "Đình", "Mới", "Yên Phú",
           "Thọ Vực")  # fmt: skip
STREETS = ("Nguyễn Văn Linh", "Trần Hưng Đạo", "Lê Lợi", "Điện Biên", "Chu Văn An",
           "Hai Bà Trưng", "Lý Thường Kiệt", "Phạm Ngũ Lão", "Tô Hiệu", "Bạch Đằng",
           "Quang Trung", "Lê Quý Đôn")  # fmt: skip


@dataclass
class Population:
    """Columns of equal length, index i = person i (entity id ``P{i+1:06d}``)."""

    entity: list[str]
    personal_id: list[str]
    family: np.ndarray
    middle: np.ndarray
    given: np.ndarray
    full_name: list[str]
    sex: np.ndarray  # 1 male, 2 female
    birth: list[date]
    ethnic: list[str]
    commune: list[str]
    address: list[str]
    phone: list[str | None]

    def __len__(self) -> int:
        return len(self.entity)


def _households(rng: np.random.Generator, count: int) -> np.ndarray:
    """Household index per person: households of 1-6 people, consecutive."""
    sizes = rng.choice(np.arange(1, 7), size=count, p=[0.12, 0.2, 0.22, 0.26, 0.13, 0.07])
    return np.repeat(np.arange(count), sizes)[:count]


def _addresses(rng: np.random.Generator, urban: np.ndarray) -> list[str]:
    count = len(urban)
    hamlet = rng.integers(0, len(HAMLETS), size=count)
    street = rng.integers(0, len(STREETS), size=count)
    number = rng.integers(1, 250, size=count)
    return [
        f"Số {n} đường {STREETS[s]}" if u else f"Thôn {HAMLETS[h]}"
        for u, h, s, n in zip(
            urban.tolist(), hamlet.tolist(), street.tolist(), number.tolist(), strict=True
        )
    ]


def make_population(rng: np.random.Generator, place: Province, count: int) -> Population:
    communes = place.communes
    household = _households(rng, count)
    households = int(household[-1]) + 1 if count else 0
    # Communes differ in size: wards are denser.
    weights = rng.gamma(4.0, 1.0, size=len(communes)) * np.array(
        [2.0 if c.urban else 1.0 for c in communes]
    )
    home = rng.choice(len(communes), size=households, p=weights / weights.sum())
    home_addr = np.array(
        _addresses(rng, np.array([communes[i].urban for i in home], dtype=bool)), dtype=object
    )
    commune_idx = home[household]

    band = rng.choice(len(AGE_BANDS), size=count, p=np.array(AGE_BANDS) / sum(AGE_BANDS))
    age_days = (band * 5 * 365.25 + rng.uniform(0, 5 * 365.25, size=count)).astype(np.int64)
    birth = [REFERENCE_DATE - timedelta(days=int(d) + 1) for d in age_days.tolist()]
    years = np.array([b.year for b in birth])
    sex = rng.choice(np.array([1, 2]), size=count, p=[0.494, 0.506])

    # Most share the household's family name; spouses and others keep their own.
    family = draw_family(rng, households)[household]
    own = rng.random(count) < 0.3
    family[own] = draw_family(rng, int(own.sum()))
    middle, given = draw_names(rng, sex, years)
    full_name = [f"{f} {m} {g}" for f, m, g in zip(family, middle, given, strict=True)]

    old_province = np.array([int(communes[i].old_province) for i in commune_idx.tolist()])
    elsewhere = rng.random(count) < 0.08
    birth_province = np.where(
        elsewhere,
        OTHER_BIRTH_PROVINCES[rng.integers(0, len(OTHER_BIRTH_PROVINCES), count)],
        old_province,
    )
    ids = personal_ids(rng, birth_province, sex, years)

    codes, shares = zip(*ETHNIC, strict=True)
    ethnic = np.array(codes, dtype=object)[
        rng.choice(len(codes), size=count, p=np.array(shares) / sum(shares))
    ]
    phone_list: list[str | None] = list(phones(rng, count))
    no_phone = (rng.random(count) < 0.15) | (years > 2012)
    for i in np.flatnonzero(no_phone).tolist():
        phone_list[i] = None
    return Population(
        entity=[f"P{i + 1:06d}" for i in range(count)],
        personal_id=ids,
        family=family,
        middle=middle,
        given=given,
        full_name=full_name,
        sex=sex,
        birth=birth,
        ethnic=ethnic.tolist(),
        commune=[communes[i].code for i in commune_idx.tolist()],
        address=home_addr[household].tolist(),
        phone=phone_list,
    )


def citizens(pop: Population, name: str) -> SourceFile:
    return SourceFile(
        name=name,
        standard="citizen",
        columns={
            "personal_id": list(pop.personal_id),
            "full_name": list(pop.full_name),
            "sex": [str(s) for s in pop.sex.tolist()],
            "date_of_birth": [b.isoformat() for b in pop.birth],
            "ethnic_code": list(pop.ethnic),
            "commune_code": list(pop.commune),
            "address_line": list(pop.address),
            "phone": list(pop.phone),
        },
        entity=list(pop.entity),
    )
