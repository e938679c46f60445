"""The province's communes, read from the registry's vendored code lists (no database needed)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from lienthong.registry.loader import builtin_units

# Codes in neither list, used for rows that must fail with unknown-code / unknown-predecessor.
UNKNOWN_COMMUNE = "99999"
UNKNOWN_OLD_COMMUNE = "99998"


@dataclass(frozen=True)
class Commune:
    code: str
    name: str  # without its type: "Phố Hiến"
    full_name: str  # "Phường Phố Hiến"
    urban: bool
    old_province: str  # former province most of its predecessors belonged to ("33" or "34")
    predecessors: tuple[str, ...]  # pre-2025 codes whose only successor is this commune


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    communes: tuple[Commune, ...]
    ambiguous_old: tuple[str, ...]  # pre-2025 codes with several 2025 successors here
    old_names: dict[str, str]  # pre-2025 code -> full name


@lru_cache(maxsize=8)
def province(code: str = "33") -> Province:
    old_units, new_units, successions = builtin_units()
    head = next((u for u in new_units if u["level"] == "province" and u["code"] == code), None)
    if head is None:
        raise ValueError(f"no province {code} in the 2025 list")
    new = [u for u in new_units if u["level"] == "commune" and u["parent_code"] == code]
    new_codes = {u["code"] for u in new}
    successors: dict[str, set[str]] = defaultdict(set)
    for edge in successions:
        successors[edge["from_code"]].add(edge["to_code"])
    old_by_code = {u["code"]: u for u in old_units}
    district_province = {u["code"]: u["parent_code"] for u in old_units if u["level"] == "district"}
    single: dict[str, list[str]] = defaultdict(list)
    ambiguous: list[str] = []
    for old_code, targets in sorted(successors.items()):
        if not targets & new_codes:
            continue
        if len(targets) == 1:
            single[next(iter(targets))].append(old_code)
        else:
            ambiguous.append(old_code)
    communes = []
    for unit in sorted(new, key=lambda u: u["code"]):
        olds = single.get(unit["code"], [])
        provinces = Counter(district_province[old_by_code[c]["parent_code"]] for c in olds)
        communes.append(
            Commune(
                code=unit["code"],
                name=unit["name"],
                full_name=unit["full_name"],
                urban=unit["unit_type"] == "Phường",
                old_province=provinces.most_common(1)[0][0] if provinces else code,
                predecessors=tuple(olds),
            )
        )
    old_names = {c: old_by_code[c]["full_name"] for c in successors if c in old_by_code}
    return Province(code, head["full_name"], tuple(communes), tuple(ambiguous), old_names)
