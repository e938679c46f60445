"""Sigma rules read with pySigma and compiled into plain predicates over audit entries.

A rule file holds Sigma rules (``SigmaRule``) and Sigma correlation rules
(``SigmaCorrelationRule``) as pySigma parses them. The parsed condition tree (identifiers and
``1 of``/``all of`` already resolved by pySigma) is compiled into one Python predicate per rule;
correlation rules become window specifications the engine keeps state for. What Sigma cannot
say is written under the top-level key ``lienthong`` (pySigma keeps it in
``custom_attributes``): ``baseline`` and ``novel`` (docs/soc-rules.md). Anything else that this
evaluator does not implement is refused with the rule file and the construct named.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigma.collection import SigmaCollection
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.correlations import (
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
)
from sigma.exceptions import SigmaError
from sigma.modifiers import reverse_modifier_mapping
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaNull,
    SigmaNumber,
    SigmaString,
    SpecialChars,
)

from lienthong.errors import LienthongError

Event = Mapping[str, Any]  # a flattened audit entry: dotted fields, ``seq``, ``_t`` (epoch s)
Predicate = Callable[[Event], bool]

MODIFIERS = frozenset(
    {"contains", "startswith", "endswith", "cidr", "all", "gt", "gte", "lt", "lte"}
)
CORRELATIONS = {
    SigmaCorrelationType.EVENT_COUNT: "event_count",
    SigmaCorrelationType.VALUE_COUNT: "value_count",
    SigmaCorrelationType.VALUE_SUM: "value_sum",
    SigmaCorrelationType.TEMPORAL_ORDERED: "temporal_ordered",
}
CUSTOM = frozenset({"baseline", "novel"})


class RuleInvalid(LienthongError):
    """A rule file this evaluator cannot run: its file and the construct are named."""

    code = "soc-rule-invalid"
    status = 422


@dataclass(frozen=True)
class Baseline:
    """Fire when a key's events in the current hour pass ``factor`` times its usual count for
    that hour of day (learned over ``learn_days`` days) and at least ``floor``."""

    by: tuple[str, ...]
    factor: float
    floor: int
    learn_days: int


@dataclass(frozen=True)
class Novel:
    """Fire when a key shows a value of ``value`` it has not shown in its first
    ``learn_hours`` hours (usual purposes, known source addresses)."""

    key: tuple[str, ...]
    value: str
    learn_hours: float


@dataclass(frozen=True)
class Window:
    """A Sigma correlation: ``kind`` over the named base rules, grouped, within ``seconds``."""

    kind: str
    rules: tuple[str, ...]
    group_by: tuple[str, ...]
    seconds: float
    threshold: float
    field: str | None = None


@dataclass
class Rule:
    """One rule as the engine runs it. ``match`` is None for correlation rules; ``window`` set
    for them; ``emits`` False for base rules only referenced by correlations."""

    id: str  # the rule's Sigma ``name`` when it has one (stable, readable), else its UUID
    uuid: str
    title: str
    description: str
    level: str
    source: str
    match: Predicate | None = None
    index: tuple[str, frozenset[str]] | None = None  # (field, values) every match has
    window: Window | None = None
    baseline: Baseline | None = None
    novel: Novel | None = None
    emits: bool = True
    tags: tuple[str, ...] = ()
    text: str = ""
    referenced_by: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        threshold: dict[str, Any] = {}
        if self.window is not None:
            w = self.window
            threshold = {"kind": w.kind, "threshold": w.threshold, "seconds": w.seconds}
            threshold |= {"group_by": list(w.group_by)} | ({"field": w.field} if w.field else {})
        elif self.baseline is not None:
            b = self.baseline
            threshold = {"kind": "baseline", "factor": b.factor, "floor": b.floor}
            threshold |= {"by": list(b.by), "learn_days": b.learn_days}
        elif self.novel is not None:
            n = self.novel
            threshold = {"kind": "novel", "key": list(n.key), "value": n.value}
            threshold |= {"learn_hours": n.learn_hours}
        return {
            "id": self.id,
            "uuid": self.uuid,
            "title": self.title,
            "description": self.description,
            "level": self.level,
            "file": self.source,
            "threshold": threshold,
        }


def _refuse(source: str, construct: str) -> RuleInvalid:
    return RuleInvalid(f"{source}: không hỗ trợ / unsupported construct: {construct}")


def load_file(path: Path) -> list[Rule]:
    return load_text(path.read_text(encoding="utf-8"), source=path.name)


def load_text(text: str, *, source: str) -> list[Rule]:
    """Parse ``text`` (one or more YAML documents) with pySigma and compile every rule."""
    try:
        collection = SigmaCollection.from_yaml(text, collect_errors=False)
        collection.resolve_rule_references()
    except SigmaError as exc:
        raise RuleInvalid(f"{source}: {exc}") from exc
    except Exception as exc:  # YAML errors and the like
        raise RuleInvalid(f"{source}: {exc}") from exc
    rules: list[Rule] = []
    for parsed in collection.rules:
        if isinstance(parsed, SigmaRule):
            rules.append(_base(parsed, source))
        elif isinstance(parsed, SigmaCorrelationRule):
            rules.append(_correlation(parsed, source))
        else:
            raise _refuse(source, type(parsed).__name__)
    for rule in rules:
        rule.text = text
    return rules


def _common(parsed: SigmaRule | SigmaCorrelationRule, source: str) -> dict[str, Any]:
    if parsed.id is None:
        raise _refuse(source, f"rule {parsed.title!r} without an id")
    return {
        "id": str(parsed.name or parsed.id),
        "uuid": str(parsed.id),
        "title": parsed.title,
        "description": parsed.description or "",
        "level": parsed.level.name.lower() if parsed.level else "medium",
        "source": source,
        "tags": tuple(str(t) for t in parsed.tags),
    }


def _custom(parsed: SigmaRule | SigmaCorrelationRule, source: str) -> dict[str, Any]:
    attrs = dict(parsed.custom_attributes or {})
    attrs.pop("correlation", None)  # pySigma keeps the correlation block there too
    own = attrs.pop("lienthong", None) or {}
    if attrs:
        raise _refuse(source, f"unknown top-level key(s) {sorted(attrs)}")
    if not isinstance(own, dict) or set(own) - CUSTOM:
        raise _refuse(source, f"lienthong: {own!r} (known: {sorted(CUSTOM)})")
    out: dict[str, Any] = {}
    try:
        if "baseline" in own:
            b = own["baseline"]
            out["baseline"] = Baseline(
                by=tuple(b["by"]),
                factor=float(b.get("factor", 5)),
                floor=int(b.get("floor", 100)),
                learn_days=int(b.get("learn_days", 7)),
            )
        if "novel" in own:
            n = own["novel"]
            out["novel"] = Novel(
                key=tuple(n["key"]), value=str(n["value"]), learn_hours=float(n["learn_hours"])
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise _refuse(source, f"lienthong: {own!r} ({exc})") from exc
    return out


def _base(parsed: SigmaRule, source: str) -> Rule:
    for name, detection in parsed.detection.detections.items():
        for item in detection.detection_items:
            fieldname = getattr(item, "field", None)
            if fieldname is None:
                raise _refuse(source, f"keyword search in {name!r} (name a field)")
            for modifier in getattr(item, "modifiers", []):
                label = _modifier_name(modifier)
                if label not in MODIFIERS:
                    raise _refuse(source, f"modifier |{label} on {fieldname}")
    conditions = parsed.detection.parsed_condition
    if len(conditions) != 1:
        raise _refuse(source, "more than one condition")
    try:
        tree = conditions[0].parse()
    except SigmaError as exc:
        raise RuleInvalid(f"{source}: {exc}") from exc
    return Rule(
        **_common(parsed, source),
        match=_compile(tree, source),
        index=index_of(tree),
        **_custom(parsed, source),
    )


def _modifier_name(modifier: type) -> str:
    return str(reverse_modifier_mapping.get(modifier.__name__, modifier.__name__))


def _correlation(parsed: SigmaCorrelationRule, source: str) -> Rule:
    kind = CORRELATIONS.get(parsed.type)
    if kind is None:
        raise _refuse(source, f"correlation type {parsed.type.name.lower()}")
    if parsed.aliases and parsed.aliases.aliases:
        raise _refuse(source, "correlation aliases")
    condition = parsed.condition
    if not isinstance(condition, SigmaCorrelationCondition) or condition.op not in (
        SigmaCorrelationConditionOperator.GTE,
        SigmaCorrelationConditionOperator.GT,
    ):
        raise _refuse(source, "correlation condition other than gte/gt")
    threshold = float(condition.count)
    if condition.op is SigmaCorrelationConditionOperator.GT:
        threshold = threshold + 1 if kind != "value_sum" else threshold + 1e-9
    fieldref = condition.fieldref
    if isinstance(fieldref, list):
        raise _refuse(source, "correlation condition on several fields")
    if kind in ("value_count", "value_sum") and not fieldref:
        raise _refuse(source, f"{kind} without a condition field")
    if parsed.timespan is None:
        raise _refuse(source, "correlation without a timespan")
    refs = tuple(str(r.rule.name or r.rule.id) for r in parsed.rules or ())
    window = Window(
        kind=kind,
        rules=refs,
        group_by=tuple(parsed.group_by or ()),
        seconds=float(parsed.timespan.seconds),
        threshold=threshold,
        field=fieldref,
    )
    return Rule(**_common(parsed, source), window=window, **_custom(parsed, source))


# -- the condition tree ---------------------------------------------------------------------


def _plain(node: Any) -> tuple[str, str] | None:
    """``(field, casefolded text)`` when ``node`` is a plain equality on a text."""
    if isinstance(node, ConditionFieldEqualsValueExpression):
        value = node.value
        if isinstance(value, SigmaString) and not value.contains_special():
            return node.field, str(value).casefold()
    return None


def _one_of(node: Any) -> tuple[str, frozenset[str]] | None:
    """``(field, values)`` when ``node`` is a plain equality or an OR of them on one field: a
    set lookup instead of one comparison per value."""
    plain = _plain(node)
    if plain is not None:
        return plain[0], frozenset({plain[1]})
    if isinstance(node, ConditionOR):
        parts = [_plain(a) for a in node.args]
        if all(parts) and len({p[0] for p in parts if p}) == 1:
            return parts[0][0], frozenset(p[1] for p in parts if p)  # type: ignore[index]
    return None


def index_of(node: Any) -> tuple[str, frozenset[str]] | None:
    """A test every matching entry passes, a field equal to one of a few values (the engine
    dispatches entries on it), found at the top of the tree or among its top ANDs."""
    found = _one_of(node)
    if found is not None:
        return found
    if isinstance(node, ConditionAND):
        for arg in node.args:
            found = index_of(arg)
            if found is not None:
                return found
    if isinstance(node, ConditionOR):
        parts = [index_of(a) for a in node.args]
        if all(parts) and len({p[0] for p in parts if p}) == 1:
            return parts[0][0], frozenset().union(*(p[1] for p in parts if p))  # type: ignore[index]
    return None


def _compile(node: Any, source: str) -> Predicate:
    one_of = _one_of(node)
    if one_of is not None:
        return _one_of_values(*one_of)
    if isinstance(node, ConditionAND | ConditionOR):
        parts = tuple(_compile(a, source) for a in node.args)
        if len(parts) == 1:
            return parts[0]
        return _all(parts) if isinstance(node, ConditionAND) else _any(parts)
    if isinstance(node, ConditionNOT):
        inner = _compile(node.args[0], source)
        return lambda e: not inner(e)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _field(node.field, _value(node.value, source), source)
    raise _refuse(source, f"condition {type(node).__name__}")


def _all(parts: tuple[Predicate, ...]) -> Predicate:
    def every(event: Event) -> bool:
        for part in parts:  # noqa: SIM110  (a loop: all() over a generator costs a frame per entry)
            if not part(event):
                return False
        return True

    return every


def _any(parts: tuple[Predicate, ...]) -> Predicate:
    def some(event: Event) -> bool:
        for part in parts:  # noqa: SIM110  (as above)
            if part(event):
                return True
        return False

    return some


def _one_of_values(name: str, values: frozenset[str]) -> Predicate:
    """The commonest test, a field equal to one of a few texts, in one call per entry (the
    engine runs it hundreds of thousands of times a second)."""

    def check(event: Event) -> bool:
        value = event.get(name)
        if value is None:
            return False
        if value.__class__ is str:
            return value.casefold() in values
        if value.__class__ is list:
            return any(v is not None and str(v).casefold() in values for v in value)
        return str(value).casefold() in values

    return check


Test = Callable[[Any], bool]


def _field(name: str, test: Test, source: str) -> Predicate:
    def check(event: Event) -> bool:
        value = event.get(name)
        if value.__class__ is list:
            return any(test(v) for v in value)
        return test(value)

    return check


def _value(value: Any, source: str) -> Test:
    if isinstance(value, SigmaString):
        return _string(value, source)
    if isinstance(value, SigmaBool):
        expected_bool = bool(value.boolean)
        return lambda v: v is expected_bool
    if isinstance(value, SigmaNumber):
        number = value.number
        return lambda v: _number(v) == number
    if isinstance(value, SigmaNull):
        return lambda v: v is None
    if isinstance(value, SigmaCIDRExpression):
        network = value.network
        return lambda v: _in_network(v, network)
    if isinstance(value, SigmaCompareExpression):
        return _compare(value)
    raise _refuse(source, f"value {type(value).__name__}")


def _string(value: SigmaString, source: str) -> Test:
    parts = value.s
    if SpecialChars.WILDCARD_SINGLE in parts:
        raise _refuse(source, "the ? wildcard")
    if not value.contains_special():
        plain = str(value).casefold()
        return lambda v: v is not None and str(v).casefold() == plain
    pieces = [p for p in parts if isinstance(p, str)]
    star = SpecialChars.WILDCARD_MULTI
    if len(pieces) == 1 and len(parts) in (2, 3):
        text = pieces[0].casefold()
        if parts[0] == star and parts[-1] == star and len(parts) == 3:
            return lambda v: v is not None and text in str(v).casefold()
        if parts[0] == star and len(parts) == 2:
            return lambda v: v is not None and str(v).casefold().endswith(text)
        if parts[-1] == star and len(parts) == 2:
            return lambda v: v is not None and str(v).casefold().startswith(text)
    pattern = re.compile(
        "".join(".*" if p == star else re.escape(str(p)) for p in parts),
        re.IGNORECASE | re.DOTALL,
    )
    return lambda v: v is not None and pattern.fullmatch(str(v)) is not None


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _compare(value: SigmaCompareExpression) -> Test:
    bound = float(value.number.number)
    op = value.op
    ops: dict[Any, Callable[[float], bool]] = {
        SigmaCompareExpression.CompareOperators.LT: lambda n: n < bound,
        SigmaCompareExpression.CompareOperators.LTE: lambda n: n <= bound,
        SigmaCompareExpression.CompareOperators.GT: lambda n: n > bound,
        SigmaCompareExpression.CompareOperators.GTE: lambda n: n >= bound,
    }
    check = ops[op]

    def test(v: Any) -> bool:
        n = _number(v)
        return n is not None and check(n)

    return test


def _in_network(v: Any, network: Any) -> bool:
    if v is None:
        return False
    try:
        return ipaddress.ip_address(str(v)) in network
    except ValueError:
        return False


def check_unique(rules: Sequence[Rule]) -> None:
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleInvalid(f"{rule.source}: rule id {rule.id} also in {seen[rule.id]}")
        seen[rule.id] = rule.source
