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

import polars as pl
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lienthong.db import utcnow
from lienthong.linkage.cluster import cluster
from lienthong.linkage.engine import PAIR_SCHEMA, score, unique_name_pairs
from lienthong.linkage.extract import records_of
from lienthong.linkage.features import business_features, person_features
from lienthong.linkage.ids import derive_id, is_legacy
from lienthong.linkage.models import Link, Master, Pair, Review
from lienthong.linkage.spec import load_spec
from lienthong.linkage.survive import survive
from lienthong.registry.models import UnitSuccession


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


def _decisions(session: Session, kind: str, index: Mapping[tuple[str, str], int]):
    accepted, rejected = [], []
    stmt = select(Review).where(Review.kind == kind, Review.status != "pending")
    for review in session.scalars(stmt):
        a = index.get((review.left_dataset, review.left_key))
        b = index.get((review.right_dataset, review.right_key))
        if a is None or b is None:
            continue
        (accepted if review.status == "accepted" else rejected).append((a, b))
    return accepted, rejected


def link(
    *,
    session: Session,
    kind: str,
    frames: Mapping[str, pl.DataFrame],
    id_key: bytes,
    full: bool = False,
) -> RunSummary:
    """Link every record of ``kind`` in ``frames`` (dataset → store records) into masters;
    new masters are named with ``id_key`` (linkage.ids)."""
    spec = load_spec(kind)
    features = _features(kind, records_of(kind, frames), successions(session=session))
    keys = list(zip(features["dataset"].to_list(), features["key"].to_list(), strict=True))
    index = {k: i for i, k in enumerate(keys)}
    old_links = {
        (row.dataset, row.record_key): row
        for row in session.scalars(select(Link).where(Link.kind == kind))
    }
    stamps = features["updated_at"].to_list()
    is_new = [
        full or k not in old_links or old_links[k].record_updated_at != stamps[i]
        for i, k in enumerate(keys)
    ]
    stored = _pair_rows(session, kind)
    changed = {keys[i] for i, new in enumerate(is_new) if new}
    if full:
        session.execute(delete(Pair).where(Pair.kind == kind))
        stored = stored.clear()
    else:
        stale = [
            r
            for r in stored.iter_rows(named=True)
            if (r["ld"], r["lk"]) in changed
            or (r["rd"], r["rk"]) in changed
            or (r["ld"], r["lk"]) not in index
            or (r["rd"], r["rk"]) not in index
        ]
        for r in stale:
            session.execute(
                delete(Pair).where(
                    Pair.kind == kind,
                    Pair.left_dataset == r["ld"],
                    Pair.left_key == r["lk"],
                    Pair.right_dataset == r["rd"],
                    Pair.right_key == r["rk"],
                )
            )
        gone = {(r["ld"], r["lk"], r["rd"], r["rk"]) for r in stale}
        stored = stored.filter(
            ~pl.concat_list("ld", "lk", "rd", "rk")
            .list.join("\x1f")
            .is_in(["\x1f".join(g) for g in gone])
        )
    scored = (
        score(features.with_columns(pl.Series("is_new", is_new)), spec) if any(is_new) else None
    )
    new_pairs = scored.pairs if scored else pl.DataFrame()
    if scored is not None and not new_pairs.is_empty():
        rows = [
            {
                "kind": kind,
                "left_dataset": keys[a][0],
                "left_key": keys[a][1],
                "right_dataset": keys[b][0],
                "right_key": keys[b][1],
                "match_weight": w,
                "match_kind": mk,
                "evidence": ev,
            }
            for a, b, w, mk, ev in new_pairs.iter_rows()
        ]
        session.execute(Pair.__table__.insert(), rows)
    old_uids = (
        stored.select(
            pl.struct("ld", "lk")
            .map_elements(lambda s: index[(s["ld"], s["lk"])], return_dtype=pl.Int64)
            .alias("uid_l"),
            pl.struct("rd", "rk")
            .map_elements(lambda s: index[(s["rd"], s["rk"])], return_dtype=pl.Int64)
            .alias("uid_r"),
            "match_weight",
            "match_kind",
            "evidence",
        )
        if not stored.is_empty()
        else None
    )
    all_pairs = (
        pl.concat(
            [
                p
                for p in (old_uids, new_pairs if scored else None)
                if p is not None and not p.is_empty()
            ]
        )
        if (old_uids is not None or (scored and not new_pairs.is_empty()))
        else pl.DataFrame(
            schema={
                "uid_l": pl.Int64,
                "uid_r": pl.Int64,
                "match_weight": pl.Float64,
                "match_kind": pl.Utf8,
                "evidence": pl.Utf8,
            }
        )
    )
    unique = unique_name_pairs(features, spec)
    if not unique.is_empty():
        # The stronger reading of a pair wins (a unique name over its review-band score).
        all_pairs = (
            pl.concat([all_pairs.cast(PAIR_SCHEMA), unique])  # type: ignore[arg-type]
            .sort("match_weight", descending=True, maintain_order=True)
            .unique(["uid_l", "uid_r"], keep="first", maintain_order=True)
        )
    accepted, rejected = _decisions(session, kind, index)
    labels = cluster(
        trusted=features["trusted"].to_list(),
        pairs=all_pairs,
        spec=spec,
        accepted=accepted,
        rejected=rejected,
    )
    pending = _queue_reviews(session, kind, keys, all_pairs, spec.accept_weight)
    ids = _assign_ids(id_key, kind, keys, labels, old_links)
    masters = _write_masters(session, kind, features, keys, ids, all_pairs, old_links)
    return RunSummary(
        kind=kind,
        mode="full" if full else "incremental",
        records=len(keys),
        new_records=sum(is_new),
        comparisons=scored.comparisons if scored else 0,
        pairs=len(all_pairs),
        masters=masters,
        review_pending=pending,
    )


def _queue_reviews(session, kind, keys, pairs: pl.DataFrame, accept: float) -> int:
    band = pairs.filter(pl.col("match_weight") < accept)
    known = {
        (r.left_dataset, r.left_key, r.right_dataset, r.right_key)
        for r in session.scalars(select(Review).where(Review.kind == kind))
    }
    rows = []
    for a, b, weight, _kind, evidence in band.iter_rows():
        ident = (*keys[a], *keys[b])
        if ident not in known:
            known.add(ident)
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
        session.execute(Review.__table__.insert(), rows)
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


def _assign_ids(id_key: bytes, kind, keys, labels, old_links) -> list[str]:
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


def _write_masters(session, kind, features, keys, ids, pairs, old_links) -> int:
    best: dict[int, tuple[float, str]] = {}
    for a, b, weight, match_kind, _ev in pairs.iter_rows():
        if ids[a] == ids[b]:
            for u in (a, b):
                if u not in best or weight > best[u][0]:
                    best[u] = (weight, match_kind)
    now = utcnow()
    stamps = features["updated_at"].to_list()
    new_links = []
    for uid, key in enumerate(keys):
        weight, match_kind = best.get(uid, (None, "single"))
        old = old_links.get(key)
        if old is not None and (old.master_id, old.record_updated_at) == (ids[uid], stamps[uid]):
            continue
        new_links.append(
            {
                "kind": kind,
                "dataset": key[0],
                "record_key": key[1],
                "master_id": ids[uid],
                "match_weight": weight,
                "match_kind": match_kind,
                "record_updated_at": stamps[uid],
                "linked_at": now,
            }
        )
    for key in set(old_links) - set(keys):
        session.execute(
            delete(Link).where(Link.kind == kind, Link.dataset == key[0], Link.record_key == key[1])
        )
    for row in new_links:
        if (row["dataset"], row["record_key"]) in old_links:
            session.execute(
                update(Link)
                .where(
                    Link.kind == kind,
                    Link.dataset == row["dataset"],
                    Link.record_key == row["record_key"],
                )
                .values(
                    master_id=row["master_id"],
                    match_weight=row["match_weight"],
                    match_kind=row["match_kind"],
                    record_updated_at=row["record_updated_at"],
                    linked_at=now,
                )
            )
    inserts = [r for r in new_links if (r["dataset"], r["record_key"]) not in old_links]
    if inserts:
        session.execute(Link.__table__.insert(), inserts)
    attributes = survive(kind, features.with_columns(pl.Series("master_id", ids)))
    existing = {m.id: m for m in session.scalars(select(Master).where(Master.kind == kind))}
    fresh = []
    for master_id, values, count in attributes:
        text = json.dumps(values, ensure_ascii=False, sort_keys=True)
        found = existing.pop(master_id, None)
        if found is None:
            fresh.append(
                {
                    "id": master_id,
                    "kind": kind,
                    "attributes": text,
                    "member_count": count,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        elif (found.attributes, found.member_count) != (text, count):
            found.attributes, found.member_count, found.updated_at = text, count, now
    if fresh:
        session.execute(Master.__table__.insert(), fresh)
    for gone in existing:
        session.execute(delete(Master).where(Master.id == gone))
    session.flush()
    return len(attributes)
