"""Ground truth against linked records: ``truth.json`` as ``lienthong sample`` writes it, or a
plain ``truth.csv`` (``source,record_id,entity_id``) as the hold-out generator writes it.

The store does not remember which source row a record came from, so the truth's
``(file, row)`` references are resolved by reading the files again through the ingest
validator, with the standard, version and mapping they were loaded with: a row that loads gets
the same store key (``record_key`` of its primary key) the ingest gave it. ``truth.json`` names
each file's standard and mapping; for ``truth.csv`` the last completed ingest batch of a file of
that name says it (a batch records the mapping it was run with). A row that does not load
(quarantined, unreadable) or a file never ingested resolves to nothing: its records never
reached the store and count as missed. The same reading also yields the records themselves,
which the accuracy test and the benchmark link without a database load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lienthong.dataset.keys import key_expr
from lienthong.errors import BadRequest
from lienthong.ingest.job import COMPLETED
from lienthong.ingest.mapping import Mapping as ColumnMapping
from lienthong.ingest.models import Batch
from lienthong.ingest.plan import prepare
from lienthong.ingest.sources import open_source
from lienthong.linkage.evaluate import Figures, compare
from lienthong.linkage.models import Link, Review
from lienthong.linkage.runs import check_kinds
from lienthong.linkage.spec import KINDS
from lienthong.standards.validate import ROW

RecordId = tuple[str, str]  # (dataset, store key)
RowRef = tuple[str, int]  # (file name, 1-based data row)
CSV_COLUMNS = ("source", "record_id", "entity_id")


@dataclass(frozen=True)
class SourceFile:
    """How a data file is read: its standard (latest version unless ``version``) and mapping."""

    standard: str
    version: int | None = None
    mapping: ColumnMapping | None = None


@dataclass
class SampleRead:
    frames: dict[str, pl.DataFrame]  # dataset → loadable records (standard fields, _key, …)
    rows: dict[RowRef, RecordId]  # (file, row) → (dataset, key)


def _invalid(path: Path, problem: str) -> BadRequest:
    return BadRequest(f"cannot read the truth file {path}: {problem}", code="invalid-truth")


def load_truth(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise _invalid(path, str(exc)) from exc
    if not isinstance(document.get("files"), dict) or not isinstance(
        document.get("entities"), list
    ):
        raise BadRequest("the truth file needs 'files' and 'entities'", code="invalid-truth")
    return document


def load_truth_csv(path: Path) -> dict[RowRef, str]:
    """``(source, record_id)`` → ``entity_id`` from a plain CSV truth file."""
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _invalid(path, str(exc)) from exc
    if not set(CSV_COLUMNS) <= set(frame.columns):
        raise _invalid(path, f"it needs the columns {','.join(CSV_COLUMNS)}")
    rows = frame.select(
        pl.col("source"), pl.col("record_id").cast(pl.Int64, strict=False), pl.col("entity_id")
    )
    if rows.null_count().sum_horizontal().item():
        raise _invalid(path, "a row lacks a source, a whole record_id or an entity_id")
    return {(s, r): e for s, r, e in rows.iter_rows()}


def _valid_chunks(
    session: Session, path: Path, source: SourceFile, today: date
) -> Iterator[tuple[str, list[str], pl.DataFrame]]:
    plan = prepare(
        session=session,
        standard=source.standard,
        version=source.version,
        mapping=source.mapping,
        today=today,
    )
    for chunk in plan.check(open_source(path)):
        yield plan.spec.name, list(plan.spec.primary_key), chunk.valid


def read_files(
    *, session: Session, folder: Path, files: Mapping[str, SourceFile], today: date | None = None
) -> SampleRead:
    """The files (names in ``folder``) read as the ingest would load them."""
    stamp = datetime(2025, 7, 1, tzinfo=UTC).isoformat()
    parts: dict[str, list[pl.DataFrame]] = {}
    rows: dict[RowRef, RecordId] = {}
    for name, source in files.items():
        for dataset, primary_key, valid in _valid_chunks(
            session, folder / name, source, today or date.today()
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
    return SampleRead(frames=frames, rows=rows)


def read_sample(
    *, session: Session, truth_path: Path, today: date | None = None
) -> tuple[dict[str, Any], SampleRead]:
    """The truth document, and its files read as the ingest would load them."""
    truth = load_truth(truth_path)
    folder = Path(truth_path).parent
    files = _declared(truth, folder)
    return truth, read_files(session=session, folder=folder, files=files, today=today)


def _declared(truth: Mapping[str, Any], folder: Path) -> dict[str, SourceFile]:
    """The files a ``truth.json`` names, with the standard and mapping it gives each."""
    return {
        name: SourceFile(
            standard=entry["standard"],
            mapping=ColumnMapping.load(folder / entry["mapping"]) if entry.get("mapping") else None,
        )
        for name, entry in truth["files"].items()
    }


def loaded_as(*, session: Session, names: list[str]) -> dict[str, SourceFile]:
    """How each named file was last loaded (its last completed ingest batch of that name); a
    file never ingested is left out."""
    batches = session.scalars(
        select(Batch)
        .where(Batch.source_name.in_(names), Batch.status == COMPLETED, Batch.replay_of.is_(None))
        .order_by(Batch.started_at)
    )
    found: dict[str, SourceFile] = {}
    for batch in batches:
        document = (batch.report or {}).get("mapping")
        found[batch.source_name] = SourceFile(
            standard=batch.standard,
            version=batch.standard_version,
            mapping=ColumnMapping.model_validate(document) if document else None,
        )
    return found


def truth_rows(truth: Mapping[str, Any], kind: str) -> dict[RowRef, str]:
    """(file, row) → true entity id, for the ``truth.json`` entities of ``kind``."""
    return {
        (ref["file"], int(ref["row"])): entity["id"]
        for entity in truth["entities"]
        if entity.get("kind") == kind
        for ref in entity["records"]
    }


def entity_of(
    truth: Mapping[str, Any], rows: Mapping[RowRef, RecordId], kind: str
) -> dict[RecordId, str]:
    """(dataset, key) → true entity id, for the truth's entities of ``kind`` that loaded."""
    return {rows[ref]: entity for ref, entity in truth_rows(truth, kind).items() if ref in rows}


def score_against(
    predicted: Mapping[RecordId, str], truth: Mapping[RecordId, str]
) -> tuple[Figures, int]:
    """Figures over the records the truth knows; a record never linked counts as a singleton.

    Returns the figures and how many truth records had no link (not linked yet)."""
    records = sorted(truth)
    missing = sum(r not in predicted for r in records)
    labels = [predicted.get(r, f"unlinked:{r[0]}:{r[1]}") for r in records]
    return compare(labels, [truth[r] for r in records]), missing


@dataclass
class Scored:
    """Figures over every truth record: one that never reached the store, or reached it and
    was not linked, is a singleton (its true pairs are missed)."""

    figures: Figures
    truth_records: int
    records: int  # truth records that reached the store
    unlinked: int  # … and have no link

    def as_dict(self) -> dict[str, Any]:
        found = self.figures.as_dict()
        del found["seconds"]
        coverage = self.records / self.truth_records if self.truth_records else 1.0
        return {
            **found,
            "coverage": round(coverage, 4),
            "records": self.records,
            "truth_records": self.truth_records,
            "unlinked": self.unlinked,
        }


def score_rows(
    predicted: Mapping[RecordId, str],
    truth: Mapping[RowRef, str],
    rows: Mapping[RowRef, RecordId],
) -> Scored:
    """Figures for the truth's rows: each resolved through ``rows`` to a store record, and
    labelled by the master ``predicted`` links it to."""
    refs = sorted(truth)
    labels: list[str] = []
    reached = unlinked = 0
    for ref in refs:
        record = rows.get(ref)
        if record is None:
            labels.append(f"missed:{ref[0]}:{ref[1]}")
            continue
        reached += 1
        label = predicted.get(record)
        if label is None:
            unlinked += 1
            label = f"unlinked:{record[0]}:{record[1]}"
        labels.append(label)
    figures = compare(labels, [truth[r] for r in refs])
    return Scored(figures=figures, truth_records=len(refs), records=reached, unlinked=unlinked)


def _links(session: Session, kind: str) -> dict[RecordId, str]:
    return {
        (dataset, key): master
        for dataset, key, master in session.execute(
            select(Link.dataset, Link.record_key, Link.master_id).where(Link.kind == kind)
        )
    }


def _pending(session: Session, kind: str) -> int:
    stmt = select(func.count()).where(Review.kind == kind, Review.status == "pending")
    return int(session.scalar(stmt) or 0)


def _figures(
    session: Session, kind: str, truth: Mapping[RowRef, str], read: SampleRead
) -> dict[str, Any]:
    scored = score_rows(_links(session, kind), truth, read.rows)
    return {**scored.as_dict(), "review_pending": _pending(session, kind)}


def evaluate_store(*, session: Session, truth_path: Path, kind: str = "person") -> dict[str, Any]:
    """Figures for the master records of ``kind`` in the database against the truth of an
    ingested data set (``.csv``: its entities are of ``kind``; otherwise ``truth.json``, whose
    other kinds are given by name beside them). Only files ingested count as having reached
    the store."""
    check_kinds([kind])
    folder = Path(truth_path).parent
    if Path(truth_path).suffix.lower() == ".csv":
        truth = load_truth_csv(truth_path)
        names = sorted({name for name, _ in truth})
        files = loaded_as(session=session, names=names)
        read = read_files(session=session, folder=folder, files=files)
        figures = _figures(session, kind, truth, read)
        sources: dict[str, dict[str, int]] = {}
        for name, row in truth:
            counts = sources.setdefault(name, {"truth_records": 0, "records": 0})
            counts["truth_records"] += 1
            counts["records"] += (name, row) in read.rows
        return {"truth": str(truth_path), "kind": kind, **figures, "sources": sources}
    document = load_truth(truth_path)
    loaded = loaded_as(session=session, names=sorted(document["files"]))
    files = {n: f for n, f in _declared(document, folder).items() if n in loaded}
    read = read_files(session=session, folder=folder, files=files)
    result: dict[str, Any] = {"truth": str(truth_path), "kind": kind}
    result |= _figures(session, kind, truth_rows(document, kind), read)
    for other in KINDS:
        if other != kind:
            result[other] = _figures(session, other, truth_rows(document, other), read)
    return result
