"""The scorecard: every indicator's value for a year, where it came from, and the index.

A leaf indicator takes its value from platform facts when the set gives it an ``estimate`` and
every fact it names is measured; otherwise from its latest declaration (with evidence); else it
is missing. An indicator with components is their weighted mean. The index is computed only
when every main indicator has a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from lienthong.dti import declarations
from lienthong.dti.facts import FactValue, platform_facts
from lienthong.dti.models import Declaration
from lienthong.dti.schemas import FactOut, Scorecard, ScorecardLine, Source
from lienthong.dti.scoring import index_of
from lienthong.dti.sets import Estimate, Indicator, IndicatorSet, get_set

FOUR = Decimal("0.0001")
ONE = Decimal(1)


def fact_out(fact: FactValue) -> FactOut:
    return FactOut(
        key=fact.info.key,
        kind=fact.info.kind,
        name_vi=fact.info.name_vi,
        name_en=fact.info.name_en,
        source=fact.info.source,
        value=float(fact.value) if fact.value is not None else None,
        numerator=fact.numerator,
        denominator=fact.denominator,
    )


def estimate(rule: Estimate, facts: Mapping[str, FactValue]) -> Decimal | None:
    """The estimate's value, or None when one of its facts is not measured."""
    parts = []
    for item in rule.facts:
        measured = facts[item.fact].value
        if measured is None:
            return None
        parts.append(min(ONE, measured / item.target) if item.target else measured)
    value = sum(parts, start=Decimal(0)) / len(parts) if rule.combine == "mean" else min(parts)
    return value.quantize(FOUR, rounding=ROUND_HALF_UP)


class _Builder:
    def __init__(self, facts: Mapping[str, FactValue], declared: Mapping[str, Declaration]) -> None:
        self.facts = facts
        self.declared = declared
        self.lines: list[ScorecardLine] = []

    def value(self, node: Indicator, depth: int) -> Decimal | None:
        line = ScorecardLine(
            key=node.key,
            name_vi=node.name_vi,
            name_en=node.name_en,
            depth=depth,
            weight=float(node.weight),
            group=node.group,
            pillar=node.pillar,
            value=None,
            source=Source.missing,
        )
        self.lines.append(line)
        value = self._own(node, depth, line)
        line.value = float(value) if value is not None else None
        return value

    def _own(self, node: Indicator, depth: int, line: ScorecardLine) -> Decimal | None:
        if node.components:
            parts = [(c.weight, self.value(c, depth + 1)) for c in node.components]
            if any(v is None for _, v in parts):
                return None
            line.source = Source.components
            total = sum(w for w, _ in parts)
            points = sum((w * v for w, v in parts if v is not None), start=Decimal(0))
            return (points / total).quantize(FOUR, rounding=ROUND_HALF_UP)
        if node.estimate is not None:
            line.facts = {
                f.fact: (float(v) if (v := self.facts[f.fact].value) is not None else None)
                for f in node.estimate.facts
            }
            measured = estimate(node.estimate, self.facts)
            if measured is not None:
                line.source = Source.facts
                return measured
        found = self.declared.get(node.key)
        if found is None:
            return None
        line.source = Source.declared
        line.evidence = found.evidence
        line.organisation = found.organisation.code
        return declarations.value_of(found)


def build(
    *, session: Session, indicator_set: IndicatorSet, year: int
) -> tuple[Scorecard, dict[str, Decimal]]:
    """The scorecard and the main indicators' exact values (those that have one)."""
    facts = platform_facts(session=session, year=year)
    declared = declarations.latest(session=session, set_id=indicator_set.id, year=year)
    builder = _Builder(facts, declared)
    values = {}
    for node in indicator_set.indicators:
        value = builder.value(node, 0)
        if value is not None:
            values[node.key] = value
    missing = [k for k in indicator_set.keys if k not in values]
    index = index_of(indicator_set, values) if not missing else None
    card = Scorecard(
        set=indicator_set.id,
        title_vi=indicator_set.title_vi,
        title_en=indicator_set.title_en,
        year=year,
        index=float(index) if index is not None else None,
        missing=missing,
        lines=builder.lines,
        facts=[fact_out(f) for f in facts.values()],
    )
    return card, values


def scorecard(*, session: Session, set_id: str, year: int) -> Scorecard:
    card, _ = build(
        session=session, indicator_set=get_set(session=session, set_id=set_id), year=year
    )
    return card
