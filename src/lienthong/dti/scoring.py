"""Scoring and ranking as the published tables do.

The index is Σ weight × value / total over the main indicators, computed on exact decimals and
rounded half-up to the set's decimals (4 for DTI). Provinces are ranked on the rounded index
with ties sharing a rank, and the next rank skipping (two at 15, then 17: "competition"
ranking).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from lienthong.dti.sets import IndicatorSet

ONE = Decimal(1)


@dataclass(frozen=True)
class ProvinceValues:
    """One province's main-indicator values, each already normalised to 0..1."""

    province: str
    values: Mapping[str, Decimal]


@dataclass(frozen=True)
class Score:
    province: str
    index: Decimal
    rank: int


def quantum(indicator_set: IndicatorSet) -> Decimal:
    return Decimal(1).scaleb(-indicator_set.decimals)


def exact_index(indicator_set: IndicatorSet, values: Mapping[str, Decimal]) -> Decimal:
    """Σ weight × value / total, unrounded."""
    points = sum((i.weight * values[i.key] for i in indicator_set.indicators), start=Decimal(0))
    return points / indicator_set.total


def round_index(indicator_set: IndicatorSet, value: Decimal) -> Decimal:
    return value.quantize(quantum(indicator_set), rounding=ROUND_HALF_UP)


def index_of(indicator_set: IndicatorSet, values: Mapping[str, Decimal]) -> Decimal:
    """The index as published: rounded half-up to the set's decimals."""
    return round_index(indicator_set, exact_index(indicator_set, values))


def competition_ranks(indices: Sequence[Decimal]) -> list[int]:
    """1 + the number of strictly higher values: equal values share a rank, the next skips."""
    ordered = sorted(indices, reverse=True)
    first: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return [first[v] for v in indices]


def score_table(indicator_set: IndicatorSet, rows: Sequence[ProvinceValues]) -> list[Score]:
    """Index and rank of every province, best first (ties in input order)."""
    indices = [index_of(indicator_set, r.values) for r in rows]
    ranks = competition_ranks(indices)
    scores = [
        Score(province=r.province, index=i, rank=k)
        for r, i, k in zip(rows, indices, ranks, strict=True)
    ]
    return sorted(scores, key=lambda s: s.rank)
