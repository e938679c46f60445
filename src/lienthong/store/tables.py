"""Run-time tables of the store: ``store_<name>_v<version>`` and its ``…_history``.

They live in their own MetaData (not the ORM's): they are made from standards at run time.
Names come from validated standard names (``[a-z][a-z0-9_]*``) only.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from lienthong.backends import key_text
from lienthong.db import UTCDateTime
from lienthong.standards.schema import FieldSpec, StandardSpec

SAFE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
PROVENANCE = ("_batch_id", "_source_system", "_loaded_at", "_updated_at")
SQL_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "string": Text,
    "integer": BigInteger,
    "number": Float,
    "boolean": Boolean,
    "date": Date,
}


def safe_name(name: str) -> str:
    if not SAFE.match(name):
        raise ValueError(f"unsafe identifier {name!r}")
    return name


def table_name(name: str, version: int) -> str:
    return safe_name(f"store_{name}_v{int(version)}")


def _sql_type(f: FieldSpec, *, keyed: bool) -> TypeEngine[Any]:
    """The column type; a text key compares bytes, as each backend declares it."""
    if f.type == "string" and keyed:
        return key_text()
    return SQL_TYPES[f.type]()


def _data_columns(spec: StandardSpec, *, key: bool) -> list[Column[object]]:
    return [
        Column(
            safe_name(f.name),
            _sql_type(f, keyed=key and f.name in spec.primary_key),
            nullable=not (key and f.name in spec.primary_key),
        )
        for f in spec.fields
    ]


def _provenance(*, nullable: bool = False) -> list[Column[object]]:
    return [
        Column("_batch_id", String(36), nullable=nullable),
        Column("_source_system", String(120), nullable=nullable),
        Column("_loaded_at", UTCDateTime(), nullable=nullable),
        Column("_updated_at", UTCDateTime(), nullable=nullable),
    ]


def store_table(spec: StandardSpec, metadata: MetaData | None = None) -> Table:
    """The current-values table, keyed by the standard's primary key."""
    name = table_name(spec.name, spec.version)
    metadata = metadata or MetaData()
    return Table(
        name,
        metadata,
        *_data_columns(spec, key=True),
        *_provenance(),
        PrimaryKeyConstraint(*spec.primary_key, name=f"pk_{name}"),
    )


def history_table(spec: StandardSpec, metadata: MetaData | None = None) -> Table:
    """Earlier values of changed rows: the row as it was, and which batch replaced it."""
    name = table_name(spec.name, spec.version) + "_history"
    metadata = metadata or MetaData()
    return Table(
        safe_name(name),
        metadata,
        Column("_id", Integer, primary_key=True, autoincrement=True),
        *_data_columns(spec, key=False),
        *_provenance(),
        Column("_replaced_at", UTCDateTime(), nullable=False),
        Column("_replaced_by", String(36), nullable=False),
    )


def stage_table(spec: StandardSpec, metadata: MetaData) -> Table:
    """A temporary table a chunk is bulk-copied into before it is merged (same columns as the
    store table, in the same order, provenance included). Named per version: a pooled
    connection keeps its temporary tables, and two versions have different columns."""
    name = safe_name(f"tmp_bulk_{spec.name}_v{int(spec.version)}")
    return Table(
        name,
        metadata,
        *_data_columns(spec, key=False),
        *_provenance(nullable=True),
        prefixes=["TEMPORARY"],
    )


def ensure_tables(conn: Connection, spec: StandardSpec) -> tuple[Table, Table]:
    metadata = MetaData()
    current, history = store_table(spec, metadata), history_table(spec, metadata)
    metadata.create_all(conn, checkfirst=True)
    return current, history
