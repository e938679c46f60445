"""The province's communes as the generator needs them: 2025 codes, their pre-2025
predecessors, and the birth-registration provinces of personal IDs."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

from lienthong.registry.loader import builtin_units

PROVINCE = "33"

# Birth-registration provinces (pre-2025 codes) for people born outside Hưng Yên and Thái
# Bình: mostly the neighbours and the two big cities.
OUTSIDE_PROVINCES = (
    ("001", 30),
    ("030", 18),
    ("031", 12),
    ("035", 8),
    ("036", 10),
    ("037", 6),
    ("027", 5),
    ("022", 4),
    ("079", 5),
    ("038", 2),
)


@dataclass(frozen=True)
class Commune:
    """A 2025 commune of the province with what the generator draws from it."""

    code: str
    full_name: str
    ward: bool  # *phường* (urban) rather than *xã*
    old_province: str  # "33" or "34": the pre-2025 province most of it came from
    older_codes: tuple[str, ...]  # predecessors whose code is not a 2025 code


@dataclass(frozen=True)
class Province:
    communes: tuple[Commune, ...]
    successors: dict[str, frozenset[str]]  # pre-2025 commune code → its 2025 communes
    codes_2025: frozenset[str]

    def successors_of(self, code: str) -> frozenset[str]:
        """The 2025 communes a written code stands for (a 2025 code stands for itself)."""
        if code in self.codes_2025:
            return frozenset({code})
        return self.successors.get(code, frozenset())


@cache
def province() -> Province:
    """Hưng Yên (2025) and its predecessors, read from the registry's official code lists."""
    old_units, new_units, edges = builtin_units()
    all_2025 = frozenset(u["code"] for u in new_units if u["level"] == "commune")
    mine = [u for u in new_units if u["level"] == "commune" and u["parent_code"] == PROVINCE]
    mine.sort(key=lambda u: u["code"])
    parent = {u["code"]: u["parent_code"] for u in old_units}
    successors: defaultdict[str, set[str]] = defaultdict(set)
    for edge in edges:
        successors[edge["from_code"]].add(edge["to_code"])
    predecessors: defaultdict[str, list[str]] = defaultdict(list)
    for old_code in sorted(successors):
        for new_code in successors[old_code]:
            predecessors[new_code].append(old_code)
    communes = []
    for unit in mine:
        olds = predecessors[unit["code"]]
        provinces = Counter(parent[parent[c]] for c in olds)
        communes.append(
            Commune(
                code=unit["code"],
                full_name=unit["full_name"],
                ward=unit["unit_type"] == "Phường",
                old_province=provinces.most_common(1)[0][0],
                older_codes=tuple(c for c in olds if c not in all_2025),
            )
        )
    mine_codes = frozenset(c.code for c in communes)
    return Province(
        communes=tuple(communes),
        successors={
            old: frozenset(new)
            for old, new in successors.items()
            if new & mine_codes and old not in all_2025
        },
        codes_2025=all_2025,
    )
