"""Ingest commands: ``lienthong ingest FILE --standard … --system …`` and batch management.

``lienthong ingest FILE …`` is short for ``lienthong ingest file FILE …``.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from lienthong.audit.service import cli_actor
from lienthong.config import get_settings
from lienthong.errors import ValidationFailed
from lienthong.ingest import check, pull, replay, service
from lienthong.ingest.outcome import MaxInvalid, exit_status
from lienthong.ingest.schemas import BatchRead, BatchReport, QuarantineRead
from lienthong.terminal import (
    cli_engine,
    cli_page,
    cli_session,
    console,
    print_json,
    print_table,
)


class FileFirst(TyperGroup):
    """A group whose first argument, when it is not a sub-command, is the file to ingest."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click.Context
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["file", *args]
        return super().parse_args(ctx, args)


ingest_app = typer.Typer(
    cls=FileFirst, help="Ingest files into the store; batches, quarantine.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
FileArg = Annotated[Path, typer.Argument(help="CSV, XLSX, JSON Lines or Parquet file")]
StandardOpt = Annotated[str, typer.Option(help="Standard name, e.g. citizen")]
SystemOpt = Annotated[str, typer.Option(help="Source system as ORGANISATION/SYSTEM")]
MappingOpt = Annotated[Path | None, typer.Option(help="Mapping JSON file")]
FormatOpt = Annotated[str | None, typer.Option(help="csv, xlsx, jsonl or parquet")]
EncodingOpt = Annotated[str | None, typer.Option(help="Source encoding (default: detect)")]
ChunkRowsOpt = Annotated[int, typer.Option(help="Rows per committed chunk")]


def _max_invalid(text: str | None) -> MaxInvalid | None:
    if text is None:
        return None
    try:
        return MaxInvalid.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


MaxInvalidOpt = Annotated[
    MaxInvalid | None,
    typer.Option(
        parser=_max_invalid,
        metavar="N|P%",
        help="Quarantined rows accepted (a count, or a percentage of the rows read); "
        "above it the exit status is 4",
    ),
]


def finish(read: BatchReport, *, json: bool, limit: MaxInvalid | None) -> None:
    """Print the batch and exit with the status its outcome calls for (docs/cli.md)."""
    if json:
        print_json(read)
    else:
        summary(read)
        console.print(read.message)
    code = exit_status(
        rows_read=read.rows_read,
        rows_loaded=read.rows_loaded,
        rows_quarantined=read.rows_quarantined,
        limit=limit,
    )
    if code:
        raise typer.Exit(code)


def summary(batch: BatchReport) -> None:
    report = batch.report
    print_table(
        f"Batch {batch.id} ({batch.status})",
        ("read", "loaded", "quarantined", "inserted", "updated", "unchanged", "seconds", "rows/s"),
        [
            (
                batch.rows_read,
                batch.rows_loaded,
                batch.rows_quarantined,
                batch.inserted,
                batch.updated,
                batch.unchanged,
                report.seconds,
                report.rows_per_s,
            )
        ],
    )
    findings_table(report.finding_counts)


def findings_table(counts: dict[str, int]) -> None:
    if counts:
        print_table(
            "Findings",
            ("code", "field", "rows"),
            [(*k.split(":", 1), n) for k, n in sorted(counts.items())],
        )


@ingest_app.command("file")
def ingest_file(
    path: FileArg,
    standard: StandardOpt,
    system: SystemOpt,
    mapping: MappingOpt = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    chunk_rows: ChunkRowsOpt = 100_000,
    max_invalid: MaxInvalidOpt = None,
    json: Json = False,
) -> None:
    """Validate a file against a standard and load it (resumes an interrupted run).

    Exit status 0: every row loaded; 3: some rows quarantined; 4: none loaded, or more
    quarantined than --max-invalid."""
    with cli_engine() as engine:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} rows"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, disable=json, transient=True) as bar:
            task = bar.add_task(f"ingest {path.name}", total=None)
            batch = service.ingest_file(
                engine=engine,
                request=service.IngestRequest(
                    path=path,
                    standard=standard,
                    system=system,
                    mapping=mapping,
                    format=format,
                    encoding=encoding,
                    chunk_rows=chunk_rows,
                ),
                progress=lambda n: bar.advance(task, n),
                settings=get_settings(),
                actor=cli_actor(),
            )
        read = BatchReport.model_validate(batch)
    finish(read, json=json, limit=max_invalid)


@ingest_app.command("check")
def check_command(
    path: FileArg,
    standard: StandardOpt,
    mapping: MappingOpt = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    findings_out: Annotated[
        Path | None, typer.Option(help="Write every finding to this CSV file")
    ] = None,
    json: Json = False,
) -> None:
    """Check a file against a standard without loading it (exit status 2: invalid rows)."""
    with cli_engine() as engine, contextlib.ExitStack() as stack:
        out = stack.enter_context(findings_out.open("wb")) if findings_out else None
        report = check.check_file(
            engine=engine,
            request=check.CheckRequest(
                path=path, standard=standard, mapping=mapping, format=format, encoding=encoding
            ),
            findings_out=out,
        )
    if json:
        print_json(report)
    else:
        print_table(
            f"{report.source_name} against {report.standard} v{report.standard_version}",
            ("read", "valid", "invalid", "seconds", "rows/s"),
            [
                (
                    report.rows_read,
                    report.rows_valid,
                    report.rows_invalid,
                    report.seconds,
                    report.rows_per_s,
                )
            ],
        )
        findings_table(report.finding_counts)
        console.print("Nothing was written to the platform.")
    if report.rows_invalid:
        raise typer.Exit(2)


@ingest_app.command("pull")
def pull_command(
    url: Annotated[str, typer.Argument(help="SQLAlchemy URL of the source database")],
    standard: StandardOpt,
    system: SystemOpt,
    table: Annotated[str | None, typer.Option(help="Table to read")] = None,
    query: Annotated[str | None, typer.Option(help="SELECT to read instead of a table")] = None,
    watermark: Annotated[str | None, typer.Option(help="Column for incremental pulls")] = None,
    since: Annotated[str | None, typer.Option(help="Start after this watermark value")] = None,
    mapping: MappingOpt = None,
    chunk_rows: ChunkRowsOpt = 100_000,
    max_invalid: MaxInvalidOpt = None,
    json: Json = False,
) -> None:
    """Pull rows from a database (new ones only, with --watermark) into a standard.

    Exit status as for ``ingest file``."""
    with cli_engine() as engine:
        batch = pull.pull(
            engine=engine,
            url=url,
            standard=standard,
            system=system,
            table=table,
            query=query,
            watermark=watermark,
            since=since,
            mapping=mapping,
            chunk_rows=chunk_rows,
            settings=get_settings(),
            actor=cli_actor(),
        )
        read = BatchReport.model_validate(batch)
    finish(read, json=json, limit=max_invalid)


@ingest_app.command("batches")
def batches(
    standard: str | None = None, status: str | None = None, limit: int = 100, json: Json = False
) -> None:
    """List ingest batches."""
    with cli_session() as session:
        rows, _ = service.list_batches(
            session=session, standard=standard, status=status, page=cli_page(limit)
        )
        found = [BatchRead.model_validate(b) for b in rows]
    if json:
        print_json(found)
        return
    print_table(
        "Batches",
        ("id", "standard", "system", "status", "read", "loaded", "quarantined"),
        [
            (
                b.id,
                b.standard,
                b.source_system,
                b.status,
                b.rows_read,
                b.rows_loaded,
                b.rows_quarantined,
            )
            for b in found
        ],
    )


@ingest_app.command("batch")
def batch(batch_id: str, json: Json = False) -> None:
    """A batch's status, counts, timings and findings summary."""
    with cli_session() as session:
        found = BatchReport.model_validate(service.get_batch(session=session, batch_id=batch_id))
    if json:
        print_json(found)
        return
    summary(found)


@ingest_app.command("quarantine")
def quarantine(batch_id: str, status: str = "open", limit: int = 100, json: Json = False) -> None:
    """Quarantined rows of a batch with their findings."""
    with cli_session() as session:
        rows, _ = service.list_quarantine(
            session=session,
            batch_id=batch_id,
            status=None if status == "all" else status,
            page=cli_page(limit),
        )
        found = [QuarantineRead.model_validate(r) for r in rows]
    if json:
        print_json(found)
        return
    print_table(
        "Quarantine",
        ("id", "row", "status", "findings"),
        [
            (q.id, q.row, q.status, "; ".join(f"{_named(f)}: {f['code']}" for f in q.findings))
            for q in found
        ],
    )


def _named(finding: dict[str, Any]) -> str:
    """The field, with the clerk's column header when it has one (entries made before 0006
    have none)."""
    column, field = finding.get("column"), finding["field"]
    return f"{column} ({field})" if column and column != field else str(field)


@ingest_app.command("replay")
def replay_command(
    batch_id: str,
    fixes: Annotated[
        Path | None,
        typer.Option(
            help='JSON Lines of corrections: {"id": <quarantine id>, "values": {field: value}}'
        ),
    ] = None,
    json: Json = False,
    max_invalid: MaxInvalidOpt = None,
) -> None:
    """Validate a batch's open quarantined rows again (with fixes); load those that pass.

    Exit status as for ``ingest file``: 3 while rows stay quarantined, 4 when none passed."""
    corrections: dict[int, dict[str, str | None]] = {}
    if fixes is not None:
        try:
            for line in fixes.read_text("utf-8").splitlines():
                if line.strip():
                    item = jsonlib.loads(line)
                    corrections[int(item["id"])] = dict(item["values"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValidationFailed.on(
                "fixes", "invalid-fixes", f"cannot read {fixes}: {exc}"
            ) from exc
    with cli_session() as session:
        found = BatchReport.model_validate(
            replay.replay(
                session=session,
                settings=get_settings(),
                batch_id=batch_id,
                fixes=corrections,
                actor=cli_actor(),
            )
        )
    finish(found, json=json, limit=max_invalid)
