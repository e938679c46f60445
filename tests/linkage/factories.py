"""Small noisy populations for linkage tests: the same people in several sectors."""

from __future__ import annotations

import random
from dataclasses import dataclass

import polars as pl

from lienthong.text import fold

FAMILY = (
    ["Nguyễn"] * 38
    + ["Trần"] * 11
    + ["Lê"] * 9
    + ["Phạm"] * 7
    + [
        "Hoàng",
        "Vũ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Đào",
        "Đinh",
        "Mai",
        "Trịnh",
        "Lương",
    ]
)
MIDDLE_M = ["Văn", "Đức", "Hữu", "Quang", "Minh", "Công"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Hồng"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hùng",
    "Huy",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Tuấn",
    "Việt",
    "Hải",
    "Thắng",
    "Trung",
    "Đạt",
]
GIVEN_F = [
    "Anh",
    "Chi",
    "Dung",
    "Hà",
    "Hằng",
    "Hoa",
    "Lan",
    "Linh",
    "Mai",
    "Ngọc",
    "Phương",
    "Thảo",
    "Trang",
    "Yến",
    "Hương",
    "Nhung",
]
ID_KEY = b"linkage tests' master id key"  # what LIENTHONG_MASTER_ID_KEY is in production
COMMUNES = [f"{n:05d}" for n in range(12000, 12040)]
OLD_COMMUNES = {f"{n:05d}": [f"{12000 + (n - 9000) % 40:05d}"] for n in range(9000, 9040)}


@dataclass
class Person:
    entity: str
    pid: str
    name: str
    sex: str
    dob: str
    commune: str


def _strip(name: str) -> str:
    return fold(name).title()


def people(count: int, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        sex = rng.choice("12")
        year = rng.randint(1940, 2006)
        middle = rng.choice(MIDDLE_M if sex == "1" else MIDDLE_F)
        given = rng.choice(GIVEN_M if sex == "1" else GIVEN_F)
        name = f"{rng.choice(FAMILY)} {middle} {given}"
        century = (year // 100 - 19) * 2 + (0 if sex == "1" else 1)
        pid = f"033{century}{year % 100:02d}{rng.randint(0, 999999):06d}"
        dob = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append(Person(f"P{i:06d}", pid, name, sex, dob, rng.choice(COMMUNES)))
    return out


def _noisy_name(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.2:
        return _strip(name)
    if roll < 0.3:
        return name.upper()
    if roll < 0.35:
        parts = name.split()
        return " ".join([*parts[1:], parts[0]])
    return name


def sectors(persons: list[Person], seed: int = 7) -> tuple[dict[str, pl.DataFrame], dict]:
    """citizen (everyone), health_insurance (70%, some without ID), land_parcel holders (40%)."""
    rng = random.Random(seed + 1)
    truth: dict[tuple[str, str], str] = {}
    citizen, health, land = [], [], []
    for p in persons:
        citizen.append(
            {
                "personal_id": p.pid,
                "full_name": p.name,
                "sex": p.sex,
                "date_of_birth": p.dob,
                "commune_code": p.commune,
            }
        )
        truth[("citizen", p.pid)] = p.entity
        if rng.random() < 0.7:
            card = f"HN4{len(health):012d}"
            dob = p.dob
            if rng.random() < 0.05:
                y, m, d = dob.split("-")
                dob = f"{y}-{d}-{m}" if int(d) <= 12 else dob
            pid = p.pid if rng.random() < 0.6 else None
            old = [k for k, v in OLD_COMMUNES.items() if v == [p.commune]]
            commune = old[0] if old and rng.random() < 0.3 else p.commune
            health.append(
                {
                    "card_number": card,
                    "personal_id": pid,
                    "full_name": _noisy_name(rng, p.name),
                    "sex": p.sex,
                    "date_of_birth": dob,
                    "commune_code": commune,
                }
            )
            truth[("health_insurance", card)] = p.entity
        if rng.random() < 0.4:
            key = f"{p.commune}~1~{len(land) + 1}"
            holder = p.pid if rng.random() < 0.5 else None
            land.append(
                {
                    "commune_code": p.commune,
                    "map_sheet": 1,
                    "parcel_number": len(land) + 1,
                    "holder_id": holder,
                    "holder_name": _noisy_name(rng, p.name),
                }
            )
            truth[("land_parcel", key)] = p.entity
    frames = {
        "citizen": pl.DataFrame(citizen).with_columns(pl.col("personal_id").alias("_key")),
        "health_insurance": pl.DataFrame(health).with_columns(pl.col("card_number").alias("_key")),
        "land_parcel": pl.DataFrame(land).with_columns(
            pl.concat_str(["commune_code", "map_sheet", "parcel_number"], separator="~").alias(
                "_key"
            )
        ),
    }
    return frames, truth


# -- small hand-written frames: every record in one commune ----------------------------------

COMMUNE = "12001"
HOLDER = ("holder_id", "holder_name", "holder_birth_date", "holder_birth_year")
HOLDER_DOCUMENT = ("holder_document_type", "holder_document_number")


def citizen_frame(rows: list[tuple[str, str, str, str]], **extra: list[str | None]) -> pl.DataFrame:
    """(personal ID, name, sex, date of birth) in the store's field names, and ``extra``
    columns."""
    return pl.DataFrame(
        {
            "_key": [r[0] for r in rows],
            "personal_id": [r[0] for r in rows],
            "full_name": [r[1] for r in rows],
            "sex": [r[2] for r in rows],
            "date_of_birth": [r[3] for r in rows],
            "commune_code": [COMMUNE] * len(rows),
            **extra,
        }
    )


def parcel_frame(
    holders: list[dict[str, str | None]], fields: tuple[str, ...] = HOLDER
) -> pl.DataFrame:
    """Land parcels 1, 2, … of map sheet 1, with their holders' ``fields`` (text)."""
    return pl.DataFrame(
        {
            "_key": [f"{COMMUNE}~1~{i + 1}" for i in range(len(holders))],
            "commune_code": [COMMUNE] * len(holders),
            **{f: [h.get(f) for h in holders] for f in fields},
        },
        schema_overrides={f: pl.Utf8 for f in fields},
    )
