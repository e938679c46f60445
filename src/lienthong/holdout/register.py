"""``population.csv``: the residents' register (*cơ sở dữ liệu quốc gia về dân cư*) as the
province's copy exports it. The register is the cleanest source: few mistakes, every
record with its personal ID and current 2025 commune."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lienthong.holdout.people import HAMLETS, NONE, Persons
from lienthong.holdout.places import Commune
from lienthong.holdout.rates import PopulationRates
from lienthong.holdout.records import Chunk, Clerk, chunks, draws, stream

HEADER = (
    "personal_id",
    "full_name",
    "sex",
    "date_of_birth",
    "commune_code",
    "address_line",
    "phone",
)
KEY = 1  # this source's place in the run's random streams

VILLAGES = (
    "Thôn Đông", "Thôn Đoài", "Thôn Nam", "Thôn Bắc", "Thôn Thượng", "Thôn Hạ", "Thôn Trung",
    "Thôn An Lạc", "Thôn Phú Mỹ", "Thôn Tân Dân", "Thôn Đồng Tiến", "Thôn Quyết Thắng",
    "Thôn 1", "Thôn 2", "Thôn 3", "Thôn 4", "Thôn 5", "Thôn 6", "Thôn 7", "Thôn 8",
    "Xóm Chùa", "Xóm Mới", "Xóm Đình", "Xóm Giữa",
)  # fmt: skip
STREETS = (
    "đường Nguyễn Văn Linh", "đường Điện Biên", "phố Phạm Ngũ Lão", "đường Lê Lợi",
    "đường Trần Hưng Đạo", "phố Hai Bà Trưng", "đường Lý Bôn", "phố Quang Trung",
)  # fmt: skip
RESIDENT_GROUPS = HAMLETS - len(STREETS)


def address(commune: Commune, hamlet: int, house: int) -> str:
    """A household's address line: hamlet in a rural commune, street or residents' group
    (*tổ dân phố*) in a ward."""
    if not commune.ward:
        return f"{VILLAGES[hamlet]}, {commune.full_name}"
    if hamlet < RESIDENT_GROUPS:
        return f"Số {house}, Tổ dân phố {hamlet + 1}, {commune.full_name}"
    return f"Số {house} {STREETS[hamlet - RESIDENT_GROUPS]}, {commune.full_name}"


def rows(
    *, seed: int, persons: Persons, clerk: Clerk, rates: PopulationRates
) -> Iterator[tuple[list[tuple[str, ...]], list[str]]]:
    """The register's rows and their entity ids, a chunk at a time, in register order."""
    rng = stream(seed, KEY)
    members = np.flatnonzero(rng.random(len(persons)) < rates.in_register)
    communes = clerk.province.communes
    for number, slots in chunks(rng.permutation(members)):
        rng = stream(seed, KEY, 1, number)
        chunk = Chunk(persons, slots)
        hamlets = persons.hamlet[slots].tolist()
        houses = persons.house[slots].tolist()
        phones = persons.phone[slots].tolist()
        out: list[tuple[str, ...]] = []
        for j, u in enumerate(draws(rng, len(chunk))):
            year, month, day = clerk.birth_date(chunk.year[j], chunk.month[j], chunk.day[j], u)
            home = communes[chunk.home[j]]
            out.append(
                (
                    clerk.personal_id(chunk.pid[j], chunk.old_id[j], u, rng),
                    clerk.name(chunk.name[j], u, rng),
                    "2" if chunk.female[j] else "1",
                    f"{year:04d}-{month:02d}-{day:02d}",
                    clerk.commune(chunk.home[j], NONE, u),
                    address(home, hamlets[j], houses[j]),
                    "" if phones[j] == NONE else f"0{phones[j]:09d}",
                )
            )
        yield out, chunk.entity
