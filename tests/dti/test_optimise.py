"""The climb optimiser on cases whose optimum is known by hand, against exhaustive search,
and on impossible requests."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import pytest

from lienthong.dti.optimise import climb
from lienthong.dti.scoring import ProvinceValues, competition_ranks, index_of
from lienthong.dti.sets import builtin_document, parse_set
from lienthong.dti.tables import Improvement
from lienthong.errors import ValidationFailed

SET = parse_set(builtin_document("922-2022"))
D = Decimal


def province(name: str, **values: str) -> ProvinceValues:
    return ProvinceValues(name, {k: D(values.get(k, "0")) for k in SET.keys})


def lever(indicator: str, step: str, cost: str, ceiling: str) -> Improvement:
    return Improvement(indicator, D(step), D(cost), D(ceiling))


def test_knapsack_optimum_where_the_cheapest_per_point_lever_is_a_trap() -> None:
    """To pass A (0.1000) from 0 we need 99.95 of 1000 points. Government activity gives 60
    points for 6 (0.10 a point, the best ratio) but cannot do it alone; with it, 11.5.
    Awareness + institutions give exactly 100 points for 11: the optimum."""
    rows = [
        province("B", gov_activity="1"),
        province("A", awareness="1"),
        province("Ours"),
    ]
    plan = climb(
        indicator_set=SET,
        rows=rows,
        province="Ours",
        places=1,
        improvements=[
            lever("gov_activity", "0.3", "6", "0.3"),
            lever("awareness", "0.5", "5.5", "0.5"),
            lever("institutions", "0.5", "5.5", "0.5"),
        ],
    )
    assert plan.total_cost == D("11.0")
    steps = {c.indicator: c.steps for c in plan.changes}
    assert steps == {"awareness": 1, "institutions": 1, "gov_activity": 0}
    assert (plan.current_rank, plan.target_rank, plan.new_rank) == (3, 2, 2)
    assert plan.new_index == D("0.1000") and plan.overtaken == ["A"]  # tied: rank 2 shared
    gains = {c.indicator: c.index_gain for c in plan.changes}
    assert gains["awareness"] == D("0.05") and gains["gov_activity"] == 0


def test_tiers_are_taken_in_order() -> None:
    """Workforce's second tier is cheap (1) but comes after its first (5 a step); one step of
    cybersecurity (3) is then the cheapest way to gain the 4.95 points needed."""
    rows = [province("A", awareness="0.35"), province("Ours", awareness="0.1", workforce="0.2")]
    plan = climb(
        indicator_set=SET,
        rows=rows,
        province="Ours",
        places=1,
        improvements=[
            lever("workforce", "0.1", "5", "0.4"),
            lever("workforce", "0.1", "1", "0.6"),
            lever("cybersecurity", "0.1", "3", "1"),
        ],
    )
    assert plan.total_cost == D(3)
    assert {c.indicator: c.steps for c in plan.changes} == {"workforce": 0, "cybersecurity": 1}
    assert [c.steps_available for c in plan.changes] == [4, 10]


def test_reaching_the_rivals_rounded_index_is_enough() -> None:
    """0.4 + 0.0995 gives 0.04995, published as 0.0500 like A's: a tie shares A's rank."""
    rows = [province("A", awareness="0.5"), province("Ours", awareness="0.4")]
    plan = climb(
        indicator_set=SET,
        rows=rows,
        province="Ours",
        places=1,
        improvements=[
            lever("awareness", "0.0995", "1", "0.4995"),
            lever("institutions", "0.1", "2", "1"),
        ],
    )
    assert plan.total_cost == D(1) and plan.new_index == D("0.0500") and plan.new_rank == 1


def test_half_a_unit_short_is_not_enough() -> None:
    rows = [province("A", awareness="0.5"), province("Ours", awareness="0.4")]
    with pytest.raises(ValidationFailed) as caught:
        climb(
            indicator_set=SET,
            rows=rows,
            province="Ours",
            places=1,
            improvements=[lever("awareness", "0.0994", "1", "0.4994")],
        )
    assert caught.value.code == "no-feasible-plan"
    assert "0.0499" in caught.value.message and "0.0500" in caught.value.message


def test_out_of_reach_and_unknown_province() -> None:
    rows = [province("A", awareness="0.5"), province("Ours", awareness="0.4")]
    levers = [lever("awareness", "0.1", "1", "1")]
    with pytest.raises(ValidationFailed) as caught:
        climb(indicator_set=SET, rows=rows, province="Ours", places=2, improvements=levers)
    assert caught.value.code == "validation-failed"
    assert [(d.field, d.code) for d in caught.value.details] == [("places", "rank-out-of-reach")]
    with pytest.raises(ValidationFailed) as caught:
        climb(indicator_set=SET, rows=rows, province="Nowhere", places=1, improvements=levers)
    assert [(d.field, d.code) for d in caught.value.details] == [("province", "unknown-province")]


def _best_by_enumeration(
    rows: list[ProvinceValues], ours: int, places: int, levers: list[Improvement]
) -> Decimal | None:
    """Exhaustive search (the test's oracle): every number of steps per lever, in order."""
    values = rows[ours].values
    options = []
    for lv in levers:
        count = int((lv.ceiling - values[lv.indicator]) // lv.step)
        options.append(range(max(count, 0) + 1))
    indices = [index_of(SET, r.values) for r in rows]
    target = competition_ranks(indices)[ours] - places
    best = None
    for counts in itertools.product(*options):
        new = dict(values)
        for lv, n in zip(levers, counts, strict=True):
            new[lv.indicator] += lv.step * n
        trial = [*indices]
        trial[ours] = index_of(SET, new)
        if competition_ranks(trial)[ours] <= target:
            cost = sum((lv.cost * n for lv, n in zip(levers, counts, strict=True)), D(0))
            best = cost if best is None or cost < best else best
    return best


@pytest.mark.parametrize("seed", range(12))
def test_agrees_with_exhaustive_search(seed: int) -> None:
    rng = random.Random(seed)
    keys = rng.sample(SET.keys, 3)
    rows = [
        ProvinceValues(f"P{n}", {k: D(rng.randint(0, 60)) / 100 for k in SET.keys})
        for n in range(7)
    ]
    indices = [index_of(SET, r.values) for r in rows]
    ours = max(range(7), key=lambda n: competition_ranks(indices)[n])  # the last one
    levers = [lever(k, f"0.{rng.randint(3, 15):02d}", str(rng.randint(1, 9)), "1") for k in keys]
    expected = _best_by_enumeration(rows, ours, 2, levers)
    assert expected is not None  # these seeds all have a plan; infeasibility is tested above
    plan = climb(indicator_set=SET, rows=rows, province=f"P{ours}", places=2, improvements=levers)
    assert plan.total_cost == expected
    assert plan.new_rank <= plan.target_rank
