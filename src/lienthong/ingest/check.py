"""Check a file against a standard without loading it: what a sector runs before sending.

Reads, maps and validates exactly as an ingest does and reports the same findings, but writes
nothing to the platform (no batch, no store, no quarantine). With nothing to load, chunks are
checked on two threads.
"""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import polars as pl
from sqlalchemy import Engine

from lienthong.db import transaction
from lienthong.errors import LienthongError
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.pipeline import Progress, file_findings, summarise
from lienthong.ingest.plan import IngestPlan, prepare
from lienthong.ingest.schemas import CheckReport
from lienthong.ingest.sources import Source, open_source

DEFAULT_CHUNK_ROWS = 100_000
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

    def open(self) -> Source:
        return open_source(
            self.path,
            format=self.format,
            encoding=self.encoding,
            delimiter=self.delimiter,
            chunk_rows=self.chunk_rows,
        )


def check_file(
    *,
    engine: Engine,
    request: CheckRequest,
    findings_out: IO[bytes] | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Validate a file against a standard; every finding goes to ``findings_out`` (CSV)."""
    started = time.perf_counter()
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
        plan = setup.result()
    spec = plan.spec
    report: dict[str, object] = {}
    read = valid = invalid = 0
    chunks = plan.check(
        source,
        frames=itertools.chain([first] if first is not None else [], frames),
        workers=CHECK_WORKERS,
    )
    for chunk in chunks:
        read += chunk.read
        valid += chunk.valid.height
        invalid += chunk.invalid.height
        summarise(report, chunk.findings)
        if findings_out is not None:
            _write_findings(findings_out, chunk.findings, header=chunk.index == 0)
        if progress is not None:
            progress(chunk.read)
    seconds = round(time.perf_counter() - started, 4)
    return CheckReport(
        standard=spec.name,
        standard_version=spec.version,
        source_name=request.source_name or request.path.name,
        format=source.format,
        encoding=source.encoding,
        rows_read=read,
        rows_valid=valid,
        rows_invalid=invalid,
        file_findings=file_findings(source),
        finding_counts=report.get("finding_counts", {}),  # type: ignore[arg-type]
        examples=report.get("examples", []),  # type: ignore[arg-type]
        seconds=seconds,
        rows_per_s=round(read / seconds) if seconds else None,
    )


def _prepare(
    engine: Engine, standard: str, mapping: Mapping | None, today: date | None
) -> IngestPlan:
    with transaction(engine) as session:
        return prepare(session=session, standard=standard, mapping=mapping, today=today)


def _write_findings(out: IO[bytes], findings: pl.DataFrame, *, header: bool) -> None:
    findings.select("row", "field", "code", "severity", "message").write_csv(
        out, include_header=header
    )
