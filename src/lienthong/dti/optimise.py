"""How to climb N places: the cheapest set of declared improvement steps, solved as a MILP.

Model (solved by HiGHS through ``scipy.optimize.milp``): one binary variable per improvement
step ("adopt this step"), costing what the user declared; steps of one indicator are taken in
order (x₂ ≤ x₁ …), so an expensive later tier is never taken before the cheap first one, and
none goes past its ceiling. The other provinces' indices are fixed, so reaching rank R means
reaching the index of the province now R-th among them (a tie shares its rank): one covering
constraint Σ weight × gain × x ≥ needed points, with every coefficient scaled to an integer so
that the threshold is exact, not subject to floating-point tolerance. The solution is checked
again in exact decimals, and the answer is explained per indicator.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from lienthong.dti.scoring import (
    ProvinceValues,
    competition_ranks,
    exact_index,
    index_of,
    quantum,
)
from lienthong.dti.sets import IndicatorSet
from lienthong.dti.tables import Improvement
from lienthong.errors import ErrorDetail, LienthongError, ValidationFailed

SOLVER = "HiGHS (scipy.optimize.milp)"
TIME_LIMIT_SECONDS = 60.0


class SolverFailed(LienthongError):
    code = "solver-failed"
    status = 500


@dataclass(frozen=True)
class _Step:
    indicator: str
    gain: Decimal
    cost: Decimal


@dataclass(frozen=True)
class IndicatorChange:
    """What the plan does to one indicator, and what it buys."""

    indicator: str
    name_vi: str
    name_en: str
    weight: Decimal
    current: Decimal
    proposed: Decimal
    steps: int
    steps_available: int
    cost: Decimal
    index_gain: Decimal


@dataclass(frozen=True)
class ClimbPlan:
    province: str
    places: int
    current_index: Decimal
    current_rank: int
    target_rank: int
    index_needed: Decimal
    new_index: Decimal
    new_rank: int
    total_cost: Decimal
    changes: list[IndicatorChange]
    # Provinces ranked above us before and not after: passed, or caught up with (a tie).
    overtaken: list[str] = field(default_factory=list)
    solver: str = SOLVER


def _steps(
    indicator_set: IndicatorSet, values: dict[str, Decimal], levers: Sequence[Improvement]
) -> list[_Step]:
    """Every available step, indicator by indicator, tiers in the order declared."""
    steps: list[_Step] = []
    for key in indicator_set.keys:
        level = values[key]
        for lever in (i for i in levers if i.indicator == key):
            count = int((lever.ceiling - level) // lever.step) if lever.ceiling > level else 0
            steps += [_Step(key, lever.step, lever.cost)] * count
            level += count * lever.step
    return steps


def _integers(numbers: Sequence[Decimal]) -> tuple[list[int], int]:
    """The numbers times 10^e, all integers, and e."""
    exponent = max((-int(n.as_tuple().exponent) for n in numbers), default=0)
    exponent = max(exponent, 0)
    return [int(n.scaleb(exponent)) for n in numbers], exponent


def _solve(
    coefficients: list[int], needed: int, costs: list[float], chains: list[tuple[int, int]]
) -> OptimizeResult:
    """Minimise cost subject to Σ coefficient·x ≥ needed and the step order; binary x."""
    n = len(coefficients)
    constraints = [LinearConstraint(np.array([coefficients], dtype=float), lb=needed, ub=np.inf)]
    if chains:
        order = np.zeros((len(chains), n))
        for row, (later, earlier) in enumerate(chains):
            order[row, later], order[row, earlier] = 1.0, -1.0
        constraints.append(LinearConstraint(order, lb=-np.inf, ub=0.0))
    return milp(
        c=np.array(costs, dtype=float),
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), np.ones(n)),
        constraints=constraints,
        options={"mip_rel_gap": 0.0, "time_limit": TIME_LIMIT_SECONDS},
    )


def _find(rows: Sequence[ProvinceValues], province: str) -> int:
    wanted = province.strip().casefold()
    for position, row in enumerate(rows):
        if row.province.casefold() == wanted:
            return position
    raise ValidationFailed.on(
        "province", "unknown-province", f"{province!r} is not a province of the values table"
    )


def climb(
    *,
    indicator_set: IndicatorSet,
    rows: Sequence[ProvinceValues],
    province: str,
    places: int,
    improvements: Sequence[Improvement],
) -> ClimbPlan:
    """The least-cost improvements that lift ``province`` at least ``places`` ranks."""
    if places < 1:
        raise ValidationFailed.on("places", "value-out-of-range", "climb at least one place")
    ours = _find(rows, province)
    values = dict(rows[ours].values)
    indices = [index_of(indicator_set, r.values) for r in rows]
    current_rank = competition_ranks(indices)[ours]
    target_rank = current_rank - places
    if target_rank < 1:
        raise ValidationFailed.on(
            "places",
            "rank-out-of-reach",
            f"{rows[ours].province} is ranked {current_rank}: it cannot climb {places} places",
        )
    others = sorted((i for k, i in enumerate(indices) if k != ours), reverse=True)
    index_needed = others[target_rank - 1]
    # Rounded half-up, the index reaches index_needed from index_needed - half a unit.
    points_needed = (index_needed - quantum(indicator_set) / 2) * indicator_set.total
    points_now = exact_index(indicator_set, values) * indicator_set.total
    steps = _steps(indicator_set, values, improvements)
    weights = {i.key: i.weight for i in indicator_set.indicators}
    gains = [weights[s.indicator] * s.gain for s in steps]
    scaled, exponent = _integers([*gains, points_needed - points_now])
    coefficients, needed = scaled[:-1], math.ceil((points_needed - points_now).scaleb(exponent))
    divisor = math.gcd(*coefficients) if coefficients else 1
    if sum(coefficients) < needed:
        best = {**values}
        for s in steps:
            best[s.indicator] += s.gain
        reach = index_of(indicator_set, best)
        raise ValidationFailed(
            f"no plan within the declared ceilings lifts {rows[ours].province} to rank "
            f"{target_rank}: every step taken gives {reach}, rank {target_rank} needs "
            f"{index_needed}",
            details=[
                ErrorDetail("improvements", "no-feasible-plan", f"best reachable index {reach}")
            ],
            code="no-feasible-plan",
        )
    chains = [
        (j, j - 1) for j in range(1, len(steps)) if steps[j].indicator == steps[j - 1].indicator
    ]
    taken = _solution(
        [c // divisor for c in coefficients],
        math.ceil(needed / divisor),
        [float(s.cost) for s in steps],
        chains,
    )
    proposed = {**values}
    for j in taken:
        proposed[steps[j].indicator] += steps[j].gain
    new_indices = [*indices]
    new_indices[ours] = index_of(indicator_set, proposed)
    new_rank = competition_ranks(new_indices)[ours]
    if new_rank > target_rank:  # the exact check the solver's tolerance cannot be trusted with
        raise SolverFailed("the solver's plan does not reach the target rank when checked")
    return ClimbPlan(
        province=rows[ours].province,
        places=places,
        current_index=indices[ours],
        current_rank=current_rank,
        target_rank=target_rank,
        index_needed=index_needed,
        new_index=new_indices[ours],
        new_rank=new_rank,
        total_cost=sum((steps[j].cost for j in taken), start=Decimal(0)),
        changes=_changes(indicator_set, values, proposed, steps, taken),
        overtaken=[
            r.province
            for k, r in enumerate(rows)
            if k != ours and indices[ours] < indices[k] <= new_indices[ours]
        ],
    )


def _solution(
    coefficients: list[int], needed: int, costs: list[float], chains: list[tuple[int, int]]
) -> list[int]:
    result = _solve(coefficients, needed, costs, chains)
    if result.status == 2:
        raise ValidationFailed.on("improvements", "no-feasible-plan", "the solver found no plan")
    if result.x is None:
        raise SolverFailed(f"the solver stopped without a plan: {result.message}")
    taken = [j for j, x in enumerate(result.x) if x > 0.5]
    if sum(coefficients[j] for j in taken) < needed:
        raise SolverFailed("the solver's plan does not cover the points needed when checked")
    return taken


def _changes(
    indicator_set: IndicatorSet,
    current: dict[str, Decimal],
    proposed: dict[str, Decimal],
    steps: Sequence[_Step],
    taken: Sequence[int],
) -> list[IndicatorChange]:
    out = []
    for indicator in indicator_set.indicators:
        mine = [j for j in taken if steps[j].indicator == indicator.key]
        available = sum(1 for s in steps if s.indicator == indicator.key)
        if not available:
            continue
        delta = proposed[indicator.key] - current[indicator.key]
        out.append(
            IndicatorChange(
                indicator=indicator.key,
                name_vi=indicator.name_vi,
                name_en=indicator.name_en,
                weight=indicator.weight,
                current=current[indicator.key],
                proposed=proposed[indicator.key],
                steps=len(mine),
                steps_available=available,
                cost=sum((steps[j].cost for j in mine), start=Decimal(0)),
                index_gain=indicator.weight * delta / indicator_set.total,
            )
        )
    return out
