"""Pull from a sector's database (any SQLAlchemy URL): a table or a query, incrementally.

With a watermark column, each pull takes the rows whose watermark is above the one the last
completed pull of the same source, standard and system reached (that batch's
``watermark_max``), unless ``since`` is given.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from lienthong.config import Settings
from lienthong.db import transaction
from lienthong.errors import ValidationFailed
from lienthong.ingest.check import DEFAULT_CHUNK_ROWS
from lienthong.ingest.job import COMPLETED, resolve_system, run_source
from lienthong.ingest.mapping import Mapping
from lienthong.ingest.models import Batch
from lienthong.ingest.pipeline import Progress
from lienthong.ingest.sources import Source, sql_source


def source_name(url: str, table: str | None, query: str | None) -> str:
    """The source as shown in batches: the URL without its password, and the table."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError as exc:
        raise ValidationFailed.on("url", "source-unavailable", "not a database URL") from exc
    return (
        f"{shown}#{table}"
        if table
        else f"{shown}#query:{hashlib.sha256((query or '').encode()).hexdigest()[:12]}"
    )


def last_watermark(*, engine: Engine, name: str, standard: str, system: str) -> str | None:
    with transaction(engine) as session:
        system = resolve_system(session=session, system=system)
        return session.scalars(
            select(Batch.watermark_max)
            .where(
                Batch.source_name == name,
                Batch.standard == standard,
                Batch.source_system == system,
                Batch.status == COMPLETED,
                Batch.format == "sql",
                Batch.watermark_max.is_not(None),
            )
            .order_by(Batch.finished_at.desc())
            .limit(1)
        ).first()


def pull(
    *,
    engine: Engine,
    url: str,
    standard: str,
    system: str,
    table: str | None = None,
    query: str | None = None,
    watermark: str | None = None,
    since: str | None = None,
    mapping: Path | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    settings: Settings,
    actor: dict[str, Any] | None = None,
) -> Batch:
    """Pull new rows into a standard; returns the batch (``watermark_max``: where it got to)."""
    name = source_name(url, table, query)
    if watermark is not None and since is None:
        since = last_watermark(engine=engine, name=name, standard=standard, system=system)

    def opener() -> Source:
        return sql_source(
            url, table=table, query=query, watermark=watermark, since=since, chunk_rows=chunk_rows
        )

    parsed = Mapping.load(mapping) if mapping else None
    digest = hashlib.sha256()
    for part in (name, query or "", watermark or "", since or ""):
        digest.update(part.encode() + b"\x00")
    if parsed is not None:
        digest.update(parsed.document)
    return run_source(
        engine=engine,
        opener=opener,
        standard=standard,
        system=system,
        mapping=parsed,
        digest="pull:" + digest.hexdigest(),
        source_name=name,
        progress=progress,
        since=since,
        watermark=watermark,
        settings=settings,
        actor=actor,
    )
