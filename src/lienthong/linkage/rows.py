"""Writing a linking run's rows in bulk: links, masters and pairs of a million records go to the
store through the backend's bulk path (column lists bound by the driver on SQLite, ``COPY`` on
PostgreSQL), not one parameter dictionary per row through the ORM."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table
from sqlalchemy.orm import Session

from lienthong.backends import backend_for
from lienthong.db import UTCDateTime


def stored_time(conn: Connection, moment: datetime) -> str:
    """``moment`` as text in the form the store keeps a timestamp column in (what binding it
    through ``UTCDateTime`` writes)."""
    process = UTCDateTime().bind_processor(conn.dialect)
    value: Any = process(moment) if process is not None else moment
    return str(value)


def write_rows(
    session: Session,
    table: Table,
    frame: pl.DataFrame,
    *,
    key: Sequence[str],
    constants: Mapping[str, str | datetime],
) -> None:
    """Insert ``frame``'s rows (columns named as ``table``'s, in its column order) with
    ``constants``, the same in every row (text, or a timestamp), in the session's transaction."""
    if frame.is_empty():
        return
    conn = session.connection()
    backend = backend_for(conn)
    texts = {
        name: stored_time(conn, value) if isinstance(value, datetime) else value
        for name, value in constants.items()
    }
    fields = [c.name for c in table.columns if c.name in frame.columns]
    bulk = backend.bulk_rows(frame, fields=fields, key=key, constants=texts)
    backend.bulk_write(conn, table, bulk)
