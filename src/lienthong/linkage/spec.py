"""Linkage specifications, declared as data (``linkage/data/*.json``).

A specification holds the comparisons (Splink comparison levels with declared m and u
probabilities and term-frequency adjustments), the blocking rules, the thresholds that turn a
match weight into a link, a review item or nothing, and the source fields and survivorship
priorities of each standard.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import sqlglot
from sqlglot import exp

KINDS = ("person", "business")
# The SQL of a specification is DuckDB's; sqlglot's own Spark rendering of these is not Spark
# SQL. On Spark, DuckDB's Jaro–Winkler is a function of linkage.scoring's, registered under a
# name of its own (Spark would take `jaro_winkler_similarity` for another function).
SPARK_JARO_WINKLER = "duckdb_jaro_winkler_similarity"
_RENAMES: dict[str, dict[type[exp.Expression], str]] = {
    "spark": {
        exp.JarowinklerSimilarity: SPARK_JARO_WINKLER,
        exp.ArrayOverlaps: "arrays_overlap",
    }
}
_SIDE = re.compile(r"\b([lr])\.([a-z_]+)\b")


@dataclass(frozen=True)
class Source:
    """Where a standard's records carry a person's or a business's attributes."""

    dataset: str
    kind: str
    fields: dict[str, str]
    # For a holder field that may hold either a personal ID or a tax code.
    id_rule: str | None = None


@dataclass(frozen=True)
class LinkSpec:
    kind: str
    comparisons: list[dict[str, Any]]
    blocking_rules: list[str]
    probability_two_random_records_match: float
    accept_weight: float
    strong_weight: float
    review_weight: float
    # A weak link is refused when another candidate of the lone record scores this close.
    ambiguity_margin: float = 0.0
    vocabulary: dict[str, list[str]] = field(default_factory=dict)
    # A trained model's term frequencies of name parts (else the reference file's) and its id.
    term_frequencies: dict[str, Any] | None = None
    model: int | None = None

    def settings(
        self, *, link_type: str = "dedupe_only", guard: str | None = None, dialect: str = "duckdb"
    ) -> dict:
        """A Splink settings dictionary; ``guard`` is ANDed to every blocking rule. ``dialect``
        is the SQL engine's (``duckdb`` or ``spark``): the same rules, written for it."""
        rules = [f"({rule}) AND ({guard})" if guard else rule for rule in self.blocking_rules]
        return {
            "link_type": link_type,
            "unique_id_column_name": "uid",
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "comparisons": [in_dialect_levels(c, dialect) for c in self.comparisons],
            "blocking_rules_to_generate_predictions": [in_dialect(r, dialect) for r in rules],
            "retain_matching_columns": False,
            "retain_intermediate_calculation_columns": True,
        }


def in_dialect(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB's, as declared) for ``dialect``."""
    if dialect == "duckdb" or sql == "ELSE":
        return sql
    renames = _RENAMES[dialect]

    def rename(node: exp.Expression) -> exp.Expression:
        name = renames.get(type(node))
        if name is None:
            return node
        return exp.Anonymous(this=name, expressions=[node.this, node.expression])

    return sqlglot.parse_one(sql, read="duckdb").transform(rename).sql(dialect=dialect)


def in_dialect_levels(comparison: dict[str, Any], dialect: str) -> dict[str, Any]:
    levels = [
        {**level, "sql_condition": in_dialect(level["sql_condition"], dialect)}
        for level in comparison["comparison_levels"]
    ]
    return {**comparison, "comparison_levels": levels}


def _read(name: str) -> dict[str, Any]:
    text = resources.files("lienthong.linkage").joinpath("data").joinpath(name).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _columns(sql: str) -> str:
    """Comparison levels are written with ``l.x``/``r.x``; Splink reads ``x_l``/``x_r``."""
    return _SIDE.sub(lambda m: f"{m.group(2)}_{m.group(1)}", sql)


def _comparison(declared: dict[str, Any]) -> dict[str, Any]:
    levels = [
        {**level, "sql_condition": _columns(level["sql_condition"])}
        for level in declared["comparison_levels"]
    ]
    out = {k: v for k, v in declared.items() if k != "comment"}
    out["comparison_levels"] = levels
    return out


@cache
def load_spec(kind: str) -> LinkSpec:
    data = _read(f"{kind}.json")
    vocabulary = {
        key: value
        for key, value in data.items()
        if key in {"family_names", "middle_names", "legal_form_words"}
    }
    return LinkSpec(
        kind=kind,
        comparisons=[_comparison(c) for c in data["comparisons"]],
        blocking_rules=data["blocking_rules"],
        probability_two_random_records_match=data["probability_two_random_records_match"],
        accept_weight=data["accept_weight"],
        strong_weight=data["strong_weight"],
        review_weight=data["review_weight"],
        ambiguity_margin=data.get("ambiguity_margin", 0.0),
        vocabulary=vocabulary,
    )


@cache
def name_frequencies() -> dict[str, Any]:
    """Reference term frequencies of name parts (see ``data/name_frequencies.json``)."""
    return _read("name_frequencies.json")


@cache
def load_sources() -> tuple[Source, ...]:
    data = _read("sources.json")
    return tuple(
        Source(dataset=s["dataset"], kind=s["kind"], fields=s["fields"], id_rule=s.get("id_rule"))
        for s in data["sources"]
    )


@cache
def survivorship() -> dict[str, dict[str, list[str]]]:
    """Per kind and master field, the datasets in order of priority."""
    data: dict[str, dict[str, list[str]]] = _read("sources.json")["survivorship"]
    return data
