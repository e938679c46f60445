"""Ground truth (``truth.json`` as ``lienthong sample`` writes it) against linked records.

The store does not remember which source row a record came from, so the truth's
``(file, row)`` references are resolved by reading the files named in the truth again, with
their mapping, through the ingest validator: a row that loads gets the same store key
(``record_key`` of its primary key) the ingest gave it. The same reading also yields the
records themselves, which the accuracy test and the benchmark link without a database load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.dataset.keys import key_expr
from lienthong.errors import BadRequest
from lienthong.ingest.mapping import Mapping as ColumnMapping
from lienthong.ingest.plan import prepare
from lienthong.ingest.sources import open_source
from lienthong.linkage.evaluate import Figures, compare
from lienthong.linkage.models import Link
from lienthong.standards.validate import ROW

RecordId = tuple[str, str]  # (dataset, store key)


@dataclass
class SampleRead:
    frames: dict[str, pl.DataFrame]  # dataset → loadable records (standard fields, _key, …)
    rows: dict[tuple[str, int], RecordId]  # (file, row) → (dataset, key)


def load_truth(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRequest(f"cannot read the truth file {path}: {exc}", code="invalid-truth") from exc
    if not isinstance(document.get("files"), dict) or not isinstance(
        document.get("entities"), list
    ):
        raise BadRequest("the truth file needs 'files' and 'entities'", code="invalid-truth")
    return document


def _valid_chunks(
    session: Session, folder: Path, name: str, entry: Mapping[str, Any], today: date
) -> Iterator[tuple[str, list[str], pl.DataFrame]]:
    plan = prepare(
        session=session,
        standard=entry["standard"],
        mapping=ColumnMapping.load(folder / entry["mapping"]) if entry.get("mapping") else None,
        today=today,
    )
    for chunk in plan.check(open_source(folder / name)):
        yield plan.spec.name, list(plan.spec.primary_key), chunk.valid


def read_sample(
    *, session: Session, truth_path: Path, today: date | None = None
) -> tuple[dict[str, Any], SampleRead]:
    """The truth document, and its files read as the ingest would load them."""
    truth = load_truth(truth_path)
    folder = Path(truth_path).parent
    stamp = datetime(2025, 7, 1, tzinfo=UTC).isoformat()
    parts: dict[str, list[pl.DataFrame]] = {}
    rows: dict[tuple[str, int], RecordId] = {}
    for name, entry in truth["files"].items():
        for dataset, primary_key, valid in _valid_chunks(
            session, folder, name, entry, today or date.today()
        ):
            keyed = valid.with_columns(key_expr([pl.col(k) for k in primary_key]).alias("_key"))
            for row, key in keyed.select(ROW, "_key").iter_rows():
                rows[(name, int(row))] = (dataset, key)
            parts.setdefault(dataset, []).append(
                keyed.drop(ROW).with_columns(pl.lit(stamp).alias("_updated_at"))
            )
    frames = {
        dataset: pl.concat(chunks).unique("_key", keep="first", maintain_order=True)
        for dataset, chunks in parts.items()
    }
    return truth, SampleRead(frames=frames, rows=rows)


def entity_of(
    truth: Mapping[str, Any], rows: Mapping[tuple[str, int], RecordId], kind: str
) -> dict[RecordId, str]:
    """(dataset, key) → true entity id, for the truth's entities of ``kind``."""
    out: dict[RecordId, str] = {}
    for entity in truth["entities"]:
        if entity.get("kind") != kind:
            continue
        for ref in entity["records"]:
            found = rows.get((ref["file"], int(ref["row"])))
            if found is not None:
                out[found] = entity["id"]
    return out


def score_against(
    predicted: Mapping[RecordId, str], truth: Mapping[RecordId, str]
) -> tuple[Figures, int]:
    """Figures over the records the truth knows; a record never linked counts as a singleton.

    Returns the figures and how many truth records had no link (not linked yet)."""
    records = sorted(truth)
    missing = sum(r not in predicted for r in records)
    labels = [predicted.get(r, f"unlinked:{r[0]}:{r[1]}") for r in records]
    return compare(labels, [truth[r] for r in records]), missing


def evaluate_store(*, session: Session, truth_path: Path) -> dict[str, Any]:
    """Figures for the master records in the database against an ingested sample's truth."""
    truth, sample = read_sample(session=session, truth_path=truth_path)
    result: dict[str, Any] = {"truth": str(truth_path)}
    for kind in ("person", "business"):
        true = entity_of(truth, sample.rows, kind)
        links = {
            (lk.dataset, lk.record_key): lk.master_id
            for lk in session.scalars(select(Link).where(Link.kind == kind))
        }
        figures, missing = score_against(links, true)
        result[kind] = {**figures.as_dict(), "records": len(true), "unlinked": missing}
    return result
