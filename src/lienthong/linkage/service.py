"""Linking runs: score new records, cluster every kept pair, keep master ids stable.

Incremental (the default): records that are new or changed since they were last linked are
scored against the blocks they fall in; stored pairs among the others are reused; then every
pair is clustered again (cheap), so the result equals a full relink. ``full=True`` rescores all.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, delete, func, select, tuple_
from sqlalchemy.orm import Session

from lienthong.db import utcnow
from lienthong.linkage.calibration import current_spec, in_use, mark_in_use
from lienthong.linkage.cluster import cluster
from lienthong.linkage.engine import (
    PAIR_SCHEMA,
    Scored,
    deterministic_pairs,
    score,
    unique_name_pairs,
)
from lienthong.linkage.extract import records_of
from lienthong.linkage.features import business_features, person_features
from lienthong.linkage.ids import derive_id, is_legacy
from lienthong.linkage.models import Link, Master, Pair, Review
from lienthong.linkage.rows import write_rows
from lienthong.linkage.scoring import DUCKDB, Backend
from lienthong.linkage.spec import LinkSpec, load_spec
from lienthong.linkage.survive import survive
from lienthong.registry.models import UnitSuccession

RecordId = tuple[str, str]  # (dataset, store key)
DELETE_CHUNK = 1000


@dataclass
class RunSummary:
    kind: str
    mode: str
    records: int
    new_records: int
    comparisons: int
    pairs: int
    masters: int
    review_pending: int
    model: int | None = None  # the trained model scored with (linkage.calibration); None: declared


def _table(model: type[Any]) -> Table:
    """A mapped class's table, for Core bulk inserts (column names, no ORM bookkeeping)."""
    return cast(Table, model.__table__)


def successions(*, session: Session) -> dict[str, list[str]]:
    """Pre-2025 commune code → its 2025 successor codes (from the registry)."""
    out: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(select(UnitSuccession.from_code, UnitSuccession.to_code))
    for old, new in rows:
        out[old].append(new)
    return dict(out)


def _features(kind: str, records: pl.DataFrame, succ: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    spec = load_spec(kind)
    build = person_features if kind == "person" else business_features
    return (
        build(records, spec=spec, successions=succ)
        .with_row_index("uid")
        .with_columns(pl.col("uid").cast(pl.Int64))
    )


def features_of(*, session: Session, kind: str, frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The comparison features of every record of ``kind`` in ``frames``, by ``uid``."""
    return _features(kind, records_of(kind, frames), successions(session=session))


def _pair_rows(session: Session, kind: str) -> pl.DataFrame:
    rows = session.execute(
        select(
            Pair.left_dataset,
            Pair.left_key,
            Pair.right_dataset,
            Pair.right_key,
            Pair.match_weight,
            Pair.match_kind,
            Pair.evidence,
        ).where(Pair.kind == kind)
    ).all()
    schema = {
        "ld": pl.Utf8,
        "lk": pl.Utf8,
        "rd": pl.Utf8,
        "rk": pl.Utf8,
        "match_weight": pl.Float64,
        "match_kind": pl.Utf8,
        "evidence": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _decisions(
    session: Session, kind: str, index: Mapping[RecordId, int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    accepted: list[tuple[int, int]] = []
    rejected: list[tuple[int, int]] = []
    stmt = select(Review).where(Review.kind == kind, Review.status != "pending")
    for review in session.scalars(stmt):
        a = index.get((review.left_dataset, review.left_key))
        b = index.get((review.right_dataset, review.right_key))
        if a is None or b is None:
            continue
        (accepted if review.status == "accepted" else rejected).append((a, b))
    return accepted, rejected


def _delete_where_in(
    session: Session, entity: Any, kind: Any, columns: Sequence[Any], values: Sequence[Any]
) -> None:
    """Delete the rows of one kind whose ``columns`` hold one of ``values`` (tuples), a few
    thousand at a time (a statement's bound parameters are limited)."""
    for start in range(0, len(values), DELETE_CHUNK):
        part = values[start : start + DELETE_CHUNK]
        matches = tuple_(*columns).in_(part) if len(columns) > 1 else columns[0].in_(part)
        session.execute(delete(entity).where(kind, matches))


@dataclass
class Candidates:
    """The records of one run: ``uid`` is a record's row in ``features``."""

    features: pl.DataFrame
    keys: list[RecordId]
    index: dict[RecordId, int]
    old_links: dict[RecordId, Link]
    is_new: list[bool]  # new or changed since last linked (every record in a full run)

    def table(self) -> pl.DataFrame:
        """(dataset, key) → uid, is_new."""
        return self.features.select(
            "dataset", "key", "uid", pl.Series("is_new", self.is_new, dtype=pl.Boolean)
        )


def _load_candidates(
    session: Session, kind: str, frames: Mapping[str, pl.DataFrame], full: bool
) -> Candidates:
    features = _features(kind, records_of(kind, frames), successions(session=session))
    keys = list(zip(features["dataset"].to_list(), features["key"].to_list(), strict=True))
    old_links = {
        (row.dataset, row.record_key): row
        for row in session.scalars(select(Link).where(Link.kind == kind))
    }
    stamps = features["updated_at"].to_list()
    is_new = [
        full or k not in old_links or old_links[k].record_updated_at != stamps[i]
        for i, k in enumerate(keys)
    ]
    index = {k: i for i, k in enumerate(keys)}
    return Candidates(features, keys, index, old_links, is_new)


def _reuse_pairs(session: Session, kind: str, found: Candidates, full: bool) -> pl.DataFrame:
    """Stored pairs between two unchanged records, by uid; every other stored pair is deleted."""
    if full:
        session.execute(delete(Pair).where(Pair.kind == kind))
        return pl.DataFrame(schema=PAIR_SCHEMA)
    records = found.table()
    side = {"l": ("ld", "lk"), "r": ("rd", "rk")}
    stored = _pair_rows(session, kind)
    for s, (d, k) in side.items():
        stored = stored.join(
            records.rename({"dataset": d, "key": k, "uid": f"uid_{s}", "is_new": f"new_{s}"}),
            on=[d, k],
            how="left",
            maintain_order="left",
        )
    # Identifier stars are derived again on every run (engine.deterministic_pairs); stored
    # ones (from earlier versions) go.
    stale = pl.any_horizontal(
        pl.col("uid_l").is_null(),
        pl.col("uid_r").is_null(),
        "new_l",
        "new_r",
        pl.col("match_kind") == "deterministic",
    ).fill_null(True)
    gone = stored.filter(stale).select("ld", "lk", "rd", "rk").rows()
    columns = (Pair.left_dataset, Pair.left_key, Pair.right_dataset, Pair.right_key)
    _delete_where_in(session, Pair, Pair.kind == kind, columns, gone)
    return stored.filter(~stale).select(*PAIR_SCHEMA).cast(PAIR_SCHEMA)  # type: ignore[arg-type]


def _compare_new(
    session: Session, kind: str, found: Candidates, spec: LinkSpec, backend: Backend
) -> Scored | None:
    """Score the pairs touching a new record (blocking and comparison: linkage.engine); the
    pairs kept are stored for later runs."""
    if not any(found.is_new):
        return None
    features = found.features.with_columns(pl.Series("is_new", found.is_new))
    scored = score(features, spec, deterministic=False, backend=backend)
    if scored.pairs.is_empty():
        return scored
    named = scored.pairs.select(
        *_record_columns(found.features, "uid_l", "left"),
        *_record_columns(found.features, "uid_r", "right"),
        "match_weight",
        "match_kind",
        "evidence",
    )
    key = ("left_dataset", "left_key", "right_dataset", "right_key")
    write_rows(session, _table(Pair), named, key=key, constants={"kind": kind})
    return scored


def _record_columns(features: pl.DataFrame, uid: str, side: str) -> list[pl.Expr]:
    """The dataset and key of the record at ``uid`` (a row of ``features``)."""
    return [
        pl.lit(features[c]).gather(pl.col(uid)).alias(f"{side}_{c}") for c in ("dataset", "key")
    ]


def _all_pairs(
    features: pl.DataFrame, reused: pl.DataFrame, scored: Scored | None, spec: LinkSpec
) -> pl.DataFrame:
    new = scored.pairs if scored is not None else reused.clear()
    derived = (deterministic_pairs(features), unique_name_pairs(features, spec))
    parts = [p.cast(PAIR_SCHEMA) for p in (*derived, reused, new) if not p.is_empty()]  # type: ignore[arg-type]
    if not parts:
        return reused
    # The stronger reading of a pair wins (a unique name over its review-band score).
    return (
        pl.concat(parts)
        .sort("match_weight", descending=True, maintain_order=True)
        .unique(["uid_l", "uid_r"], keep="first", maintain_order=True)
    )


def _decide(
    session: Session, kind: str, found: Candidates, pairs: pl.DataFrame, spec: LinkSpec
) -> tuple[list[int], int]:
    """Each record's entity (pairs and review decisions clustered) and the pending reviews."""
    accepted, rejected = _decisions(session, kind, found.index)
    labels = cluster(
        trusted=found.features["trusted"].to_list(),
        pairs=pairs,
        spec=spec,
        accepted=accepted,
        rejected=rejected,
    )
    pending = _queue_reviews(session, kind, found.keys, open_reviews(pairs, labels, spec))
    return labels, pending


def link(
    *,
    session: Session,
    kind: str,
    frames: Mapping[str, pl.DataFrame],
    id_key: bytes,
    full: bool = False,
    backend: Backend = DUCKDB,
) -> RunSummary:
    """Link every record of ``kind`` in ``frames`` (dataset → store records) into masters;
    new masters are named with ``id_key`` (linkage.ids). Scored with the kind's newest active
    trained model, else its declared comparisons (the report names the model), on ``backend``
    (linkage.scoring: the same specification on DuckDB or Spark)."""
    spec = current_spec(session=session, kind=kind)
    # Pairs stored under another model are not reused: every pair is rescored under this one.
    full = full or in_use(session=session, kind=kind) != spec.model
    found = _load_candidates(session, kind, frames, full)
    reused = _reuse_pairs(session, kind, found, full)
    scored = _compare_new(session, kind, found, spec, backend)
    pairs = _all_pairs(found.features, reused, scored, spec)
    labels, pending = _decide(session, kind, found, pairs, spec)
    ids = _assign_ids(id_key, kind, found.keys, labels, found.old_links)
    _write_links(session, kind, found, ids, pairs)
    masters = _write_masters(session, kind, found.features, ids)
    mark_in_use(session=session, kind=kind, model=spec.model)
    return RunSummary(
        kind=kind,
        mode="full" if full else "incremental",
        records=len(found.keys),
        new_records=sum(found.is_new),
        comparisons=scored.comparisons if scored else 0,
        pairs=len(pairs),
        masters=masters,
        review_pending=pending,
        model=spec.model,
    )


def open_reviews(pairs: pl.DataFrame, labels: Sequence[int], spec: LinkSpec) -> pl.DataFrame:
    """The weak pairs whose decision would change the masters, most consequential first: those
    in the review band, and weak links refused as ambiguous (cluster).

    A pair waits for a person only when its two records ended in different masters and one of
    them is on its own (a weak link may only attach a record still on its own, and a pair
    between two settled groups is no question of this record). Of a lone record's candidates
    only the best two are asked about (the best two of both, when both are on their own): the
    rest are namesakes further behind. Order: the
    expected number of record pairs a decision moves — the size of the group the lone record
    would join, times how uncertain the pair is (a match probability near one half first).
    """
    band = pairs.filter(pl.col("match_weight") < spec.strong_weight)
    if band.is_empty():
        return band.with_columns(pl.lit(0.0).alias("impact"))
    label = pl.Series("label", list(labels), dtype=pl.Int64)
    size = label.value_counts(name="n").rename({"label": "label"})
    with_labels = band.with_columns(
        label.gather(band["uid_l"]).alias("lab_l"), label.gather(band["uid_r"]).alias("lab_r")
    )
    sides = with_labels.join(size.rename({"label": "lab_l", "n": "n_l"}), on="lab_l").join(
        size.rename({"label": "lab_r", "n": "n_r"}), on="lab_r"
    )
    probability = 1 / (1 + (2.0 ** -pl.col("match_weight")))
    open_pairs = sides.filter(
        (pl.col("lab_l") != pl.col("lab_r")) & ((pl.col("n_l") == 1) | (pl.col("n_r") == 1))
    ).with_columns(
        (pl.max_horizontal("n_l", "n_r") * (0.5 - (probability - 0.5).abs())).alias("impact")
    )
    # Equal weights are ranked in pair order: the joins above keep no order, and without this
    # two runs on the same records queued different namesakes.
    open_pairs = open_pairs.sort("uid_l", "uid_r")
    # Each lone record's candidates ranked by weight; a pair is asked about when it is among
    # the best two of every lone record in it.
    ranked = pl.concat(
        [
            open_pairs.select(pl.col(f"uid_{s}").alias("uid"), "uid_l", "uid_r", "match_weight")
            for s in ("l", "r")
        ]
    ).with_columns(
        pl.col("match_weight").rank("ordinal", descending=True).over("uid").alias("rank")
    )
    for s in ("l", "r"):
        rank = ranked.filter(pl.col("uid") == pl.col(f"uid_{s}")).select(
            "uid_l", "uid_r", pl.col("rank").alias(f"rank_{s}")
        )
        open_pairs = open_pairs.join(rank, on=["uid_l", "uid_r"], how="left")
    best = open_pairs.filter(
        ((pl.col("n_l") > 1) | (pl.col("rank_l") <= 2))
        & ((pl.col("n_r") > 1) | (pl.col("rank_r") <= 2))
    )
    return best.sort(
        ["impact", "match_weight", "uid_l", "uid_r"], descending=[True, True, False, False]
    ).select(*PAIR_SCHEMA, "impact")


def _queue_reviews(
    session: Session, kind: str, keys: Sequence[RecordId], band: pl.DataFrame
) -> int:
    """Queue the open pairs not asked about yet, in order of consequence; pending reviews that
    are no longer open (the pair was settled another way) are withdrawn."""
    wanted = {(*keys[a], *keys[b]) for a, b in band.select("uid_l", "uid_r").iter_rows()}
    known = {}
    for r in session.scalars(select(Review).where(Review.kind == kind)):
        ident = (r.left_dataset, r.left_key, r.right_dataset, r.right_key)
        known[ident] = r
    stale = [r.id for ident, r in known.items() if r.status == "pending" and ident not in wanted]
    for start in range(0, len(stale), DELETE_CHUNK):
        session.execute(delete(Review).where(Review.id.in_(stale[start : start + DELETE_CHUNK])))
    rows = []
    for a, b, weight, _kind, evidence in band.select(*PAIR_SCHEMA).iter_rows():
        ident = (*keys[a], *keys[b])
        if ident not in known:
            known[ident] = None  # type: ignore[assignment]
            rows.append(
                {
                    "kind": kind,
                    "left_dataset": keys[a][0],
                    "left_key": keys[a][1],
                    "right_dataset": keys[b][0],
                    "right_key": keys[b][1],
                    "match_weight": weight,
                    "evidence": evidence,
                    "status": "pending",
                    "created_at": utcnow(),
                }
            )
    if rows:
        session.execute(_table(Review).insert(), rows)
    session.flush()
    return _count_pending(session, kind)


def _count_pending(session: Session, kind: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.kind == kind, Review.status == "pending")
        )
        or 0
    )


def _assign_ids(
    id_key: bytes,
    kind: str,
    keys: Sequence[RecordId],
    labels: Sequence[int],
    old_links: Mapping[RecordId, Link],
) -> list[str]:
    members: dict[int, list[int]] = defaultdict(list)
    for uid, label in enumerate(labels):
        members[label].append(uid)
    order = sorted(members, key=lambda lab: (-len(members[lab]), keys[members[lab][0]]))
    taken: set[str] = set()
    name: dict[int, str] = {}
    for label in order:
        votes = Counter(
            old_links[keys[u]].master_id
            for u in members[label]
            if keys[u] in old_links and not is_legacy(old_links[keys[u]].master_id)
        )
        choice = next(
            (
                mid
                for mid, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
                if mid not in taken
            ),
            None,
        )
        attempt = 0
        while choice is None or choice in taken:
            choice = derive_id(id_key, kind, *keys[members[label][0]], attempt)
            attempt += 1
        taken.add(choice)
        name[label] = choice
    return [name[label] for label in labels]


def _best_matches(pairs: pl.DataFrame, ids: Sequence[str]) -> pl.DataFrame:
    """Each record's strongest pair inside its master: ``uid``, ``match_weight``,
    ``match_kind`` (of equal weights, the pair listed first)."""
    master = pl.Series("master_id", ids, dtype=pl.Utf8)
    inside = (
        pairs.select("uid_l", "uid_r", "match_weight", "match_kind")
        .with_row_index("_order")
        .filter(pl.lit(master).gather(pl.col("uid_l")) == pl.lit(master).gather(pl.col("uid_r")))
    )
    sides = pl.concat(
        [
            inside.select(pl.col(f"uid_{s}").alias("uid"), "_order", "match_weight", "match_kind")
            for s in ("l", "r")
        ]
    )
    return (
        sides.sort(["match_weight", "_order"], descending=[True, False])
        .group_by("uid", maintain_order=True)
        .first()
        .select("uid", "match_weight", "match_kind")
    )


def _write_links(
    session: Session, kind: str, found: Candidates, ids: Sequence[str], pairs: pl.DataFrame
) -> None:
    """Each record's master (changed links updated, new ones added, vanished ones deleted)."""
    now = utcnow()
    rows = (
        found.features.select(
            pl.col("uid"),
            pl.col("dataset"),
            pl.col("key").alias("record_key"),
            pl.Series("master_id", ids, dtype=pl.Utf8),
            pl.col("updated_at").alias("record_updated_at"),
        )
        .join(_best_matches(pairs, ids), on="uid", how="left", maintain_order="left")
        .with_columns(pl.col("match_kind").fill_null("single"))
    )
    if found.old_links:
        known = pl.Series([key in found.old_links for key in found.keys], dtype=pl.Boolean)
        columns = ("dataset", "record_key", "master_id", "match_weight", "match_kind")
        kept = rows.filter(known).select(*columns, "record_updated_at")
        for dataset, record_key, master_id, weight, match_kind, stamp in kept.iter_rows():
            old = found.old_links[(dataset, record_key)]
            if (old.master_id, old.record_updated_at) != (master_id, stamp):
                old.master_id, old.match_weight, old.match_kind = master_id, weight, match_kind
                old.record_updated_at, old.linked_at = stamp, now
        rows = rows.filter(~known)
    gone = sorted(set(found.old_links) - set(found.keys))
    _delete_where_in(session, Link, Link.kind == kind, (Link.dataset, Link.record_key), gone)
    write_rows(
        session,
        _table(Link),
        rows.drop("uid"),
        key=("dataset", "record_key"),
        constants={"kind": kind, "linked_at": now},
    )


def _write_masters(session: Session, kind: str, features: pl.DataFrame, ids: list[str]) -> int:
    """Master records with their surviving attributes; masters left without records go."""
    attributes = survive(kind, features.with_columns(pl.Series("master_id", ids)))
    existing = {m.id: m for m in session.scalars(select(Master).where(Master.kind == kind))}
    now = utcnow()
    fresh: dict[str, list[Any]] = {"id": [], "attributes": [], "member_count": []}
    for master_id, values, count in attributes:
        text = json.dumps(values, ensure_ascii=False, sort_keys=True)
        found = existing.pop(master_id, None)
        if found is None:
            for column, value in zip(fresh, (master_id, text, count), strict=True):
                fresh[column].append(value)
        elif (found.attributes, found.member_count) != (text, count):
            found.attributes, found.member_count, found.updated_at = text, count, now
    write_rows(
        session,
        _table(Master),
        pl.DataFrame(
            fresh, schema={"id": pl.Utf8, "attributes": pl.Utf8, "member_count": pl.Int64}
        ),
        key=("id",),
        constants={"kind": kind, "created_at": now, "updated_at": now},
    )
    _delete_where_in(session, Master, Master.kind == kind, (Master.id,), sorted(existing))
    session.flush()
    return len(attributes)
