"""One chunk at a time: map → validate → load valid rows → quarantine invalid ones.

Each chunk commits together with the batch's progress (``chunks_done`` and counters), so a
run killed at any point leaves whole chunks only; running the same input again (same
checksum, standard and system) resumes after the last committed chunk. Where the backend
keeps write transactions short (``Backend.part_rows``: SQLite's one write lock), a batch
writes a chunk's valid rows in parts, each committed with the part count
(``report["parts_done"]``), the last with the chunk's quarantine and ``chunks_done``; a resumed
run skips the parts committed already. Chunks already done are
still read and validated (not loaded) to rebuild the batch's set of seen keys, which the
``duplicate-key`` rule needs.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

import polars as pl
from sqlalchemy import Dialect, Table
from sqlalchemy.orm import Session

from lienthong.backends import backend_for
from lienthong.codes import finding_code, finding_codes
from lienthong.db import utcnow
from lienthong.findings import FINDING_SCHEMA, Finding, quoted, said
from lienthong.ingest.located import Placed, located
from lienthong.ingest.mapping import Mapping, apply_mapping
from lienthong.ingest.models import OPEN_ONLY, Batch, QuarantineRow
from lienthong.ingest.sources import ERROR, RAGGED, SOURCE, Source
from lienthong.standards.schema import StandardSpec
from lienthong.standards.seen import SEEN_IN_MEMORY
from lienthong.standards.validate import (
    ROW,
    Checked,
    CheckPlan,
    CodeBook,
    Seen,
    check_frame,
    settle,
)
from lienthong.store.load import Bulk, LoadCounts, bulk_payload, load_frame

MALFORMED_ROW = finding_code("malformed-row")
EXAMPLES = 50
Progress = Callable[[int], None]
T = TypeVar("T")
U = TypeVar("U")


@dataclass
class Chunk:
    """A validated chunk: rows to load, rows to quarantine and every finding."""

    index: int
    read: int
    valid: pl.DataFrame
    invalid: pl.DataFrame
    findings: pl.DataFrame  # row, field, code, message, severity
    keys: pl.Series
    bulk: Bulk | None = None  # the valid rows in the driver's bulk form, made ahead of loading
    parts: list[tuple[pl.DataFrame, Bulk]] = field(default_factory=list)  # else, in parts
    checked: Checked | None = None  # until settled against earlier chunks
    sources: dict[int, str] = field(default_factory=dict)  # row → text the reader could not split
    headers: dict[str, str] = field(default_factory=dict)  # field → the source column it came from


# Where a chunk's invalid rows go: new quarantine entries, or (a replay) its original's. It
# answers how many of them were open in the quarantine already (no entry made for those).
Quarantine = Callable[[Session, Batch, Chunk], int]


@dataclass
class Timings:
    validate: float = 0.0  # waiting for checked chunks
    load: float = 0.0


def marker_findings(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows the reader could not split into fields (wrong field count, bad JSON line)."""
    parts = []
    if RAGGED in frame.columns:
        parts.append(
            frame.filter(pl.col(RAGGED).fill_null(False)).select(
                pl.col(ROW).alias("row"),
                pl.lit(None, pl.Utf8).alias("field"),
                pl.lit(MALFORMED_ROW).alias("code"),
                *_aliased(
                    said(
                        "dòng không có cùng số trường với dòng tiêu đề",
                        "the row does not have as many fields as the header",
                    )
                ),
            )
        )
    if ERROR in frame.columns:
        parts.append(
            frame.filter(pl.col(ERROR).is_not_null()).select(
                pl.col(ROW).alias("row"),
                pl.lit(None, pl.Utf8).alias("field"),
                pl.lit(MALFORMED_ROW).alias("code"),
                *_aliased(said("không đọc được dòng JSON: ", "", then=quoted(pl.col(ERROR)))),
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def _aliased(messages: tuple[pl.Expr, pl.Expr]) -> tuple[pl.Expr, pl.Expr]:
    return messages[0].alias("message"), messages[1].alias("message_en")


def _with_severity(findings: pl.DataFrame) -> pl.DataFrame:
    columns = list(FINDING_SCHEMA)
    if findings.height == 0:
        return pl.DataFrame(schema={**FINDING_SCHEMA, "severity": pl.Utf8})
    if "severity" in findings.columns:
        return findings.select(
            pl.col("row").cast(pl.Int64),
            *[pl.col(c).cast(pl.Utf8) for c in columns[1:]],
            pl.col("severity").cast(pl.Utf8),
        )
    return findings.select(
        pl.col("row").cast(pl.Int64),
        *[pl.col(c).cast(pl.Utf8) for c in columns[1:]],
        pl.col("code")
        .replace_strict(
            {c: f.severity for c, f in finding_codes().items()},
            default="error",
            return_dtype=pl.Utf8,
        )
        .alias("severity"),
    )


def check_chunk(
    *,
    index: int,
    frame: pl.DataFrame,
    plan: CheckPlan,
    mapping: Mapping,
    successions: pl.DataFrame | None,
    today: date,
) -> Chunk:
    """Map and validate one chunk of source rows on its own; see :func:`settle_chunk` for what
    earlier chunks add."""
    headers = mapping.headers(frame.columns)
    frame, mapped = apply_mapping(frame, mapping, successions=successions)
    found = [_with_severity(mapped)]
    markers = marker_findings(frame)
    if markers.height:
        found.append(_with_severity(markers))
    # Reader and mapping errors quarantine rows the checks alone would accept.
    rejected = [f.filter(pl.col("severity") == "error").get_column("row") for f in found]
    checked = check_frame(
        frame,
        plan,
        today=today,
        also_bad=pl.concat(rejected).drop_nulls() if rejected else None,
    )
    found.append(_with_severity(checked.local.findings))
    sources: dict[int, str] = {}
    if SOURCE in frame.columns:
        kept = frame.filter(pl.col(SOURCE).is_not_null()).select(ROW, SOURCE)
        sources = dict(kept.iter_rows())
    return Chunk(
        index=index,
        read=frame.height,
        valid=checked.local.valid,
        invalid=checked.local.invalid,
        findings=pl.concat(found).sort("row", nulls_last=False, maintain_order=True),
        keys=checked.local.keys,
        checked=checked,
        sources=sources,
        headers=headers,
    )


def settle_chunk(chunk: Chunk, seen: Seen) -> Chunk:
    """Add the rows that repeat a key or unique value of the batch's earlier chunks."""
    checked, chunk.checked = chunk.checked, None
    settled = settle(checked, seen) if checked is not None else None
    if settled is not None:
        chunk.valid, chunk.invalid = settled.valid, settled.invalid
        chunk.findings = pl.concat([chunk.findings, _with_severity(settled.added)]).sort(
            "row", nulls_last=False, maintain_order=True
        )
    return chunk


def checked_chunks(
    frames: Iterable[pl.DataFrame],
    *,
    spec: StandardSpec,
    book: CodeBook,
    mapping: Mapping,
    successions: pl.DataFrame | None,
    today: date,
    workers: int = 1,
    placed: Placed | None = None,
    seen_limit: int = SEEN_IN_MEMORY,
) -> Iterator[Chunk]:
    """Check chunks on ``workers`` threads (Polars releases the GIL), then settle them in
    order against the keys of the batch's earlier chunks; ``placed``: where the findings sit
    in the clerk's file (:func:`located`).

    An ingest keeps one: its checking thread already runs beside the loading one, which is the
    slower of the two. A check alone (nothing to load) uses two. ``seen_limit``: how many of
    those keys stay in memory before older ones move to disk."""
    seen = Seen(seen_limit)
    plan = CheckPlan.build(spec, book)

    def check(item: tuple[int, pl.DataFrame]) -> Chunk:
        index, frame = item
        return check_chunk(
            index=index,
            frame=frame,
            plan=plan,
            mapping=mapping,
            successions=successions,
            today=today,
        )

    announced: set[str] = set()
    try:
        for chunk in ordered_map(check, enumerate(frames), workers=workers):
            chunk = settle_chunk(chunk, seen)
            seen.add(chunk.keys)
            chunk.findings = located(
                _once_per_source(chunk.findings, announced), chunk.headers, placed or Placed()
            )
            yield chunk
    finally:
        seen.close()


def _once_per_source(findings: pl.DataFrame, announced: set[str]) -> pl.DataFrame:
    """Every chunk names its unmapped columns (a JSON key can first appear in any chunk); keep
    each column's ``unmapped-column`` finding the first time only."""
    unmapped = (pl.col("code") == "unmapped-column") & pl.col("row").is_null()
    names = set(findings.filter(unmapped).get_column("field").to_list())
    if not names:
        return findings
    findings = findings.filter(~(unmapped & pl.col("field").is_in(list(announced))))
    announced |= names
    return findings


def ordered_map(fn: Callable[[T], U], items: Iterable[T], *, workers: int) -> Iterator[U]:
    """``map(fn, items)`` on ``workers`` threads, in order, at most ``workers`` items ahead.

    Items are drawn from ``items`` in the caller's thread only."""
    if workers <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="ingest-check")
    pending: deque[Future[U]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def with_bulk(
    chunks: Iterable[Chunk],
    *,
    spec: StandardSpec,
    dialect: Dialect,
    batch_id: str,
    system: str,
    first_to_load: int,
    part_rows: int | None = None,
) -> Iterator[Chunk]:
    """Attach each chunk's bulk payload (chunks from ``first_to_load`` on), in parts of
    ``part_rows`` valid rows when given and the chunk has more: run in the checking thread, so
    turning rows into driver values overlaps the previous chunk's write."""
    for chunk in chunks:
        if chunk.index >= first_to_load and chunk.valid.height:
            if part_rows is None or chunk.valid.height <= part_rows:
                frames = [chunk.valid]
            else:
                frames = list(chunk.valid.iter_slices(part_rows))
            bulks = [
                bulk_payload(
                    frame,
                    spec=spec,
                    dialect=dialect,
                    batch_id=batch_id,
                    system=system,
                    now=utcnow(),
                )
                for frame in frames
            ]
            if len(frames) == 1:
                chunk.bulk = bulks[0]
            else:
                chunk.parts = list(zip(frames, bulks, strict=True))
        yield chunk


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Produce ``items`` in a thread, ``depth`` ahead of the consumer (Polars and the
    database drivers release the GIL, so checking and loading overlap on two cores)."""
    box: queue.Queue[object] = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(done)
        except BaseException as error:  # handed to the consumer, raised there
            put(_Failed(error))

    worker = threading.Thread(target=work, name="ingest-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)


def fingerprint(batch: Batch, values: dict[str, Any]) -> str:
    """A quarantine entry's identity: the standard version, the source system and the row's
    values as sent (its ``_source`` text among them), whatever file or row number they came
    in."""
    identity = [batch.standard, batch.standard_version, batch.source_system, values]
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def quarantine_rows(batch: Batch, chunk: Chunk) -> list[dict[str, Any]]:
    """One quarantine entry per invalid row: its values (and, for a row the reader could not
    split, its source text under ``_source``), its findings and its :func:`fingerprint`
    (Python only here, on the rejected rows)."""
    if chunk.invalid.height == 0:
        return []
    grouped = (
        chunk.findings.filter(pl.col("row").is_not_null())
        .group_by("row", maintain_order=True)
        .agg(
            pl.struct(
                "row", "sheet_row", "field", "column", "code", "severity", "message", "message_en"
            ).alias("items")
        )
    )
    by_row = {r["row"]: r["items"] for r in grouped.iter_rows(named=True)}
    now = utcnow()
    out = []
    for values in chunk.invalid.iter_rows(named=True):
        row = values.pop(ROW)
        if row in chunk.sources:  # a row the reader could not split: all of its text
            values[SOURCE] = chunk.sources[row]
        out.append(
            {
                "batch_id": batch.id,
                "row": row,
                "fingerprint": fingerprint(batch, values),
                "status": "open",
                "values": values,
                "findings": by_row.get(row, []),
                "created_at": now,
            }
        )
    return out


def summarise(report: dict[str, Any], findings: pl.DataFrame) -> None:
    """Add a chunk's findings to the batch report: counts by code and field, a few examples."""
    counts: dict[str, int] = report.setdefault("finding_counts", {})
    for code, field_name, n in findings.group_by("code", "field").len().iter_rows():
        name = f"{code}:{field_name or ''}"
        counts[name] = counts.get(name, 0) + n
    examples: list[dict[str, Any]] = report.setdefault("examples", [])
    room = EXAMPLES - len(examples)
    if room > 0:
        examples.extend(findings.head(room).to_dicts())


def insert_quarantine(session: Session, batch: Batch, chunk: Chunk) -> int:
    """A chunk's invalid rows as new quarantine entries of the batch, but for those open in
    the quarantine already (the same row sent again): they are counted, not entered twice."""
    rows = quarantine_rows(batch, chunk)
    if not rows:
        return 0
    table = cast(Table, QuarantineRow.__table__)
    stmt = backend_for(session.get_bind()).insert_new(table, key=["fingerprint"], where=OPEN_ONLY)
    made = session.execute(stmt.returning(table.c.id), rows).all()
    return len(rows) - len(made)


def store_chunk(
    *,
    session: Session,
    batch: Batch,
    spec: StandardSpec,
    chunk: Chunk,
    quarantine: Quarantine,
    part: int = 0,
) -> LoadCounts:
    """Load, quarantine and record progress: the caller commits all of it at once. A chunk in
    parts is stored one ``part`` a call; the last one also quarantines and completes the chunk."""
    frame, bulk = chunk.parts[part] if chunk.parts else (chunk.valid, chunk.bulk)
    last = part >= len(chunk.parts) - 1
    counts = load_frame(
        session=session,
        spec=spec,
        frame=frame,
        batch_id=batch.id,
        system=batch.source_system,
        now=utcnow(),
        new_keys_only=batch.started_on_empty_store,
        bulk=bulk,
    )
    report = dict(batch.report or {})
    batch.rows_loaded += frame.height
    batch.inserted += counts.inserted
    batch.updated += counts.updated
    batch.unchanged += counts.unchanged
    if not last:
        report["parts_done"] = {"chunk": chunk.index, "parts": part + 1}
        batch.report = report
        session.flush()
        return counts
    already_open = quarantine(session, batch, chunk)
    report.pop("parts_done", None)
    summarise(report, chunk.findings)
    if already_open:
        report["rows_already_open"] = report.get("rows_already_open", 0) + already_open
    batch.report = report
    batch.rows_read += chunk.read
    batch.rows_quarantined += chunk.invalid.height
    batch.chunks_done = chunk.index + 1
    session.flush()
    return counts


def parts_done(batch: Batch, chunk: Chunk) -> int:
    """How many parts of ``chunk`` an interrupted run of the batch committed already."""
    done = (batch.report or {}).get("parts_done")
    return int(done["parts"]) if done and done["chunk"] == chunk.index else 0


def file_findings(source: Source) -> list[dict[str, Any]]:
    return [f.as_dict() for f in source.findings if isinstance(f, Finding)]


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 4)
