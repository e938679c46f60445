"""Check a file against a standard without loading it: what a sector runs before sending.

Reads, maps and validates exactly as an ingest does and reports the same findings, but writes
nothing to the platform (no batch, no store, no quarantine). With nothing to load, chunks are
checked on two threads.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import polars as pl
from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.errors import LienthongError
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.pipeline import Progress, elapsed, file_findings, summarise
from lienthong.ingest.plan import IngestPlan, prepare
from lienthong.ingest.schemas import IngestSummary
from lienthong.ingest.sources import Source, open_source
from lienthong.spreadsheet import safe_frame

DEFAULT_CHUNK_ROWS = 100_000
FINDINGS_CSV = (
    "row", "sheet_row", "field", "column", "code", "severity", "message", "message_en"
)  # fmt: skip
CHECK_WORKERS = 2


@dataclass(frozen=True, kw_only=True)
class CheckRequest:
    """A file, the standard it should meet, and how to read it."""

    path: Path
    standard: str
    mapping: Path | Mapping | None = None  # a mapping file, or a mapping already received
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    source_name: str | None = None
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    today: date | None = None

    def read_mapping(self) -> Mapping | None:
        return Mapping.load(self.mapping) if isinstance(self.mapping, Path) else self.mapping

    @property
    def name(self) -> str:
        """The file as its sender named it (an upload is stored under a name of ours)."""
        return self.source_name or self.path.name

    def open(self) -> Source:
        return open_source(
            self.path,
            format=self.format,
            encoding=self.encoding,
            delimiter=self.delimiter,
            chunk_rows=self.chunk_rows,
            name=self.name,
        )


def check_file(
    *,
    engine: Engine,
    request: CheckRequest,
    findings_out: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Validate a file against a standard; every finding goes to ``findings_out`` (CSV)."""
    started = time.perf_counter()
    plan, source, frames = _open(engine, request)
    report: dict[str, Any] = {}
    read = valid = invalid = 0
    for chunk in plan.check(source, frames=frames, workers=CHECK_WORKERS):
        read += chunk.read
        valid += chunk.valid.height
        invalid += chunk.invalid.height
        summarise(report, chunk.findings)
        if findings_out is not None:
            _write_findings(findings_out, chunk.findings, header=chunk.index == 0)
        if progress is not None:
            progress(chunk.read)
    seconds = elapsed(started)
    return IngestSummary(
        standard=plan.spec.name,
        standard_version=plan.spec.version,
        source_name=request.name,
        format=source.format,
        encoding=source.encoding,
        rows_read=read,
        rows_valid=valid,
        rows_invalid=invalid,
        file_findings=file_findings(source),
        seconds=seconds,
        rows_per_s=round(read / seconds) if seconds else None,
        **report,
    )


def _open(
    engine: Engine, request: CheckRequest
) -> tuple[IngestPlan, Source, Iterator[pl.DataFrame]]:
    """The plan, the source and its frames (the first one read already)."""
    mapping = request.read_mapping()
    with ThreadPoolExecutor(1, thread_name_prefix="check-setup") as pool:
        # The standard and its code lists load while the file's pre-pass and first chunk are
        # read (Polars works outside the GIL): neither waits for the other.
        setup = pool.submit(_prepare, engine, request.standard, mapping, request.today)
        try:
            source = request.open()
            frames = iter(source.chunks())
            first = next(frames, None)
        except LienthongError:
            setup.result()  # a wrong standard is said first, as when nothing overlaps
            raise
        return setup.result(), source, itertools.chain([first] if first is not None else [], frames)


def _prepare(
    engine: Engine, standard: str, mapping: Mapping | None, today: date | None
) -> IngestPlan:
    with transaction(engine) as session:
        return prepare(session=session, standard=standard, mapping=mapping, today=today)


def _write_findings(out: IO[bytes], findings: pl.DataFrame, *, header: bool) -> None:
    # Fields and messages quote the sector's file: neutralised before a person opens them.
    safe_frame(findings.select(*FINDINGS_CSV)).write_csv(out, include_header=header)
