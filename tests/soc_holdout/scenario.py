"""Seven ordinary days and an eighth with every starter attack and its near misses.

A case is tagged ``attack|<rule>|<name>`` (must fire that rule, with evidence among its
entries) or ``near|<rule>|<name>`` (just under the documented threshold: must not fire).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.soc_holdout.cases import attacks, near_misses
from tests.soc_holdout.days import learning_extras, ordinary_day, shape
from tests.soc_holdout.generator import LEARNING_DAYS, Log, Writer, population
from tests.soc_holdout.variants import distinct_near_misses, variants


@dataclass(frozen=True)
class Scenario:
    entries: list[dict[str, object]]
    cases: dict[str, set[int]]  # tag -> seqs of its entries


def build(seed: int = 20261201) -> Scenario:
    rng = random.Random(seed)
    log = Log(rng)
    systems = population(rng)
    shape(systems)
    w = Writer(log)
    for day in range(LEARNING_DAYS + 1):
        ordinary_day(w, systems, day)
    learning_extras(w, systems)
    attacks(w, systems)
    near_misses(w, systems)
    variants(w, systems)
    distinct_near_misses(w, systems)
    entries, cases = log.finish()
    return Scenario(entries, cases)
