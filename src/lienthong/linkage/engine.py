"""Pairwise scoring: a deterministic pass on trusted identifiers, then Fellegi–Sunter with Splink.

Scores depend only on the pair, the m/u probabilities and the term frequencies of the model in
use (declared, or trained and stored: linkage.calibration), so scoring only the pairs that
involve new records (incremental linking) gives the same scores as scoring everything (full
relink) under one model.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

import polars as pl
from splink import Linker

from lienthong.linkage.scoring import DUCKDB, Backend, Scoring
from lienthong.linkage.spec import LinkSpec, name_frequencies

DETERMINISTIC_WEIGHT = 50.0
PAIR_SCHEMA = {
    "uid_l": pl.Int64,
    "uid_r": pl.Int64,
    "match_weight": pl.Float64,
    "match_kind": pl.Utf8,
    "evidence": pl.Utf8,
}
# A pair whose two records hold one trusted identifier was settled by the deterministic pass;
# two different trusted identifiers are compared only when one keying slip apart (a digit
# wrong, two neighbours swapped) and name (folded, in any order) and birth date agree: the
# same person typed twice.
UNTRUSTED_GUARD = {
    "person": "(l.trusted IS NULL OR r.trusted IS NULL OR (l.trusted <> r.trusted"
    " AND l.name_sorted = r.name_sorted AND l.dob = r.dob"
    " AND damerau_levenshtein(l.trusted, r.trusted) = 1))",
    "business": "(l.trusted IS NULL OR r.trusted IS NULL)",
}
NEW_GUARD = "(l.is_new OR r.is_new)"


@dataclass
class Scored:
    pairs: pl.DataFrame  # PAIR_SCHEMA, uid_l < uid_r
    comparisons: int


def deterministic_pairs(features: pl.DataFrame) -> pl.DataFrame:
    """Star edges from each record with a trusted identifier to the lowest record sharing it.

    Derived from all records (a group-by, cheap) on every run and never stored: a stored star
    goes stale when its centre is deleted, and an unchanged group would be starred again."""
    with_id = features.filter(pl.col("trusted").is_not_null()).select("uid", "trusted")
    anchors = with_id.group_by("trusted").agg(pl.col("uid").min().alias("anchor"))
    edges = (
        with_id.join(anchors, on="trusted")
        .filter(pl.col("uid") != pl.col("anchor"))
        .select(
            pl.col("anchor").alias("uid_l"),
            pl.col("uid").alias("uid_r"),
            pl.lit(DETERMINISTIC_WEIGHT).alias("match_weight"),
            pl.lit("deterministic").alias("match_kind"),
            pl.lit(None, dtype=pl.Utf8).alias("evidence"),
        )
    )
    return edges.cast(PAIR_SCHEMA)  # type: ignore[arg-type]


def _splink_columns(spec: LinkSpec) -> list[str]:
    if spec.kind == "person":
        return [
            "uid",
            "is_new",
            "trusted",
            "family",
            "family_nfc",
            "family_ph",
            "given",
            "given_nfc",
            "given_ph",
            "middle",
            "name_fold",
            "name_sorted",
            "dob",
            "birth_year",
            "birth_month",
            "birth_day",
            "sex",
            "communes",
            "commune_key",
            "pid",
            "pid_year",
            "pid_sex",
            "doc",
            "doc_type",
        ]
    return [
        "uid",
        "is_new",
        "trusted",
        "name_nfc",
        "name_key",
        "name_head",
        "tid",
        "communes",
        "commune_key",
    ]


def _register_frequencies(
    linker: Linker, run: Scoring, features: pl.DataFrame, spec: LinkSpec
) -> None:
    """Term frequencies from the trained model, else the fixed reference, for every value
    present (never from the records being linked: a run must not move them)."""
    reference = spec.term_frequencies or name_frequencies()
    for column in ("family", "given", "middle"):
        if column not in features.columns:
            continue
        values = features[column].drop_nulls().unique().sort().to_list()
        known, default = reference.get(column, {}), reference["default"][column]
        table = pl.DataFrame(
            {column: values, f"tf_{column}": [known.get(v, default) for v in values]},
            schema={column: pl.Utf8, f"tf_{column}": pl.Float64},
        ).to_arrow()
        lookup = run.register(table, f"tf_reference_{column}")
        linker.table_management.register_term_frequency_lookup(lookup, column)


def probabilistic_pairs(
    features: pl.DataFrame, spec: LinkSpec, *, incremental: bool, backend: Backend = DUCKDB
) -> Scored:
    """Score blocked pairs with Splink (on DuckDB unless ``backend`` says otherwise: see
    linkage.scoring); keep those at or above the review weight."""
    table = features.select(_splink_columns(spec)).to_arrow()
    untrusted = UNTRUSTED_GUARD[spec.kind]
    guard = f"{untrusted} AND {NEW_GUARD}" if incremental else untrusted
    with backend.open() as run:
        frame = run.register(table, "records")
        settings = spec.settings(guard=guard, dialect=run.dialect)
        linker = Linker(frame, settings, log_level=logging.WARNING)
        _register_frequencies(linker, run, features, spec)
        # Every blocked pair is compared (the count), but only those at or above the review
        # weight are kept: the scored comparisons are never all held at once.
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        comparisons = run.count(blocked.physical_name)
        predictions = linker.inference.predict(
            threshold_match_weight=spec.review_weight, warning_mode="never"
        )
        scored = run.kept(predictions.physical_name, spec.review_weight)
    return Scored(pairs=_with_evidence(scored, spec), comparisons=comparisons)


def level_labels(spec: LinkSpec) -> dict[str, dict[float, str]]:
    """Per comparison, a level's weight (log2 m/u, to 2 decimals) → its label. The weights of a
    comparison's levels are distinct (tested), so a pair's weight names the level it reached;
    the null level weighs 0."""
    out: dict[str, dict[float, str]] = {}
    for comparison in spec.comparisons:
        labels: dict[float, str] = {}
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            weight = round(math.log2(level["m_probability"] / level["u_probability"]), 2)
            labels[weight] = level.get("label_for_charts", "")
        labels.setdefault(0.0, "null")
        out[comparison["output_column_name"]] = labels
    return out


def _with_evidence(scored: pl.DataFrame, spec: LinkSpec) -> pl.DataFrame:
    if scored.is_empty():
        return pl.DataFrame(schema=PAIR_SCHEMA)
    # Evidence: the weight each comparison contributed (term-frequency adjustment included),
    # and under "levels" the level each comparison reached ("exact without diacritics").
    parts = [c for c in scored.columns if c.startswith("mw_")]
    levels = [
        pl.col(f"mw_{name}")
        .round(2)
        .replace_strict(list(mapping), list(mapping.values()), default=None, return_dtype=pl.Utf8)
        .alias(name)
        for name, mapping in level_labels(spec).items()
        if f"mw_{name}" in scored.columns
    ]
    fields = [pl.col(c).round(2).alias(c[3:]) for c in parts]
    if levels:
        fields.append(pl.struct(levels).alias("levels"))
    evidence = pl.struct(fields).struct.json_encode()
    lo = pl.min_horizontal("uid_l", "uid_r")
    hi = pl.max_horizontal("uid_l", "uid_r")
    return scored.select(
        lo.cast(pl.Int64).alias("uid_l"),
        hi.cast(pl.Int64).alias("uid_r"),
        # Rounded: engines sum the same weights in their own order, and a pair's rank among
        # equal candidates must not depend on the last bit.
        pl.col("match_weight").cast(pl.Float64).round(9),
        pl.lit("probabilistic").alias("match_kind"),
        evidence.alias("evidence"),
    )


def score(
    features: pl.DataFrame, spec: LinkSpec, *, deterministic: bool = True, backend: Backend = DUCKDB
) -> Scored:
    """All pairs worth keeping among ``features`` (needs ``uid``; ``is_new`` marks a batch).

    Without ``is_new`` every record is new (a full run); with it, only pairs touching a new
    record are scored. ``deterministic=False`` leaves out the identifier stars (a linking run
    derives them from all records itself).
    """
    incremental = "is_new" in features.columns and not features["is_new"].all()
    if "is_new" not in features.columns:
        features = features.with_columns(pl.lit(True).alias("is_new"))
    exact = deterministic_pairs(features) if deterministic else pl.DataFrame(schema=PAIR_SCHEMA)
    fuzzy = probabilistic_pairs(features, spec, incremental=incremental, backend=backend)
    pairs = pl.concat([exact, fuzzy.pairs]).unique(["uid_l", "uid_r"], keep="first")
    return Scored(pairs=pairs.sort("uid_l", "uid_r"), comparisons=fuzzy.comparisons)


def unique_name_pairs(features: pl.DataFrame, spec: LinkSpec) -> pl.DataFrame:
    """Records with only a name and a commune (no identifier, no birth data) attached to the one
    person the registers know by exactly that name in that commune.

    Name and commune alone score in the review band, since common names repeat; but when every
    record in the commune with that full name that has any identifying data carries the same
    trusted identifier, the namesake is the register's only one. Names are compared folded
    (diacritics and case dropped, Vietnamese order restored): "Nguyen Thi Lan" on a health card
    and "Nguyễn Thị Lan" in the register are namesakes, so a card without diacritics never makes
    a group of its own that would look unique. Computed over
    all records on every run (never stored), so incremental and full runs agree. The link is
    weak (below ``strong_weight``): it only ever attaches a record that is still on its own.
    """
    needed = {"trusted", "birth_year", "pid", "commune_key", "family", "middle", "given"}
    if not needed <= set(features.columns):
        return pl.DataFrame(schema=PAIR_SCHEMA)
    group = ["commune_key", "family", "middle", "given"]
    # A year of birth alone is birth data too: it may contradict the namesake's.
    bare = pl.col("trusted").is_null() & pl.col("birth_year").is_null() & pl.col("pid").is_null()
    named = features.filter(
        pl.col("commune_key").is_not_null()
        & pl.col("family").is_not_null()
        & pl.col("given").is_not_null()
    ).with_columns(bare.alias("_bare"))
    groups = (
        named.group_by(group)
        .agg(
            pl.col("trusted").drop_nulls().n_unique().alias("_ids"),
            (pl.col("trusted").is_null() & ~pl.col("_bare")).sum().alias("_unsure"),
            pl.col("uid").filter(pl.col("trusted").is_not_null()).min().alias("anchor"),
        )
        .filter((pl.col("_ids") == 1) & (pl.col("_unsure") == 0))
    )
    weight = (spec.accept_weight + spec.strong_weight) / 2
    edges = named.filter(pl.col("_bare")).join(groups, on=group, nulls_equal=True)
    return edges.select(
        pl.min_horizontal("anchor", "uid").cast(pl.Int64).alias("uid_l"),
        pl.max_horizontal("anchor", "uid").cast(pl.Int64).alias("uid_r"),
        pl.lit(weight, dtype=pl.Float64).alias("match_weight"),
        pl.lit("unique-name").alias("match_kind"),
        pl.lit(None, dtype=pl.Utf8).alias("evidence"),
    )


def evidence_of(value: str | None) -> dict[str, Any]:
    return json.loads(value) if value else {}
