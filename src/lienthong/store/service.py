"""Reading the store: dataset descriptions, records by key, filtered pages, bulk frames.

This is the interface other domains use (exchange, linkage); see docs/ingest.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, Table, inspect, select, tuple_
from sqlalchemy.orm import Session

from lienthong.dataset.coerce import POLARS_TYPES, parse_value
from lienthong.dataset.keys import key_expr, record_key, split_key
from lienthong.errors import NotFound, ValidationFailed
from lienthong.paging import PageRequest, keyset_page
from lienthong.standards.models import Standard
from lienthong.standards.schema import StandardSpec, parse_standard
from lienthong.store.tables import PROVENANCE, store_table, table_name


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    identifier: str | None


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    version: int
    table: str
    key_fields: list[str]
    fields: list[FieldInfo]
    area_field: str


def _spec(session: Session, dataset: str, version: int | None) -> StandardSpec:
    stmt = select(Standard).where(Standard.name == dataset)
    if version is None:
        stmt = stmt.where(Standard.status.in_(("published", "deprecated"))).order_by(
            (Standard.status == "published").desc(), Standard.version.desc()
        )
    else:
        stmt = stmt.where(Standard.version == version)
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"no dataset {dataset!r}", code="unknown-dataset")
    return parse_standard(found.document)


def dataset_info(*, session: Session, dataset: str, version: int | None = None) -> DatasetInfo:
    spec = _spec(session, dataset, version)
    return DatasetInfo(
        name=spec.name,
        version=spec.version,
        table=table_name(spec.name, spec.version),
        key_fields=list(spec.primary_key),
        fields=[FieldInfo(f.name, f.type, f.identifier) for f in spec.fields],
        area_field=spec.area_field,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _typed(spec: StandardSpec, field: str, value: str) -> Any:
    kind = spec.field(field).type
    try:
        return parse_value(kind, value)
    except ValueError as exc:
        raise ValidationFailed.on(field, "type-error", f"{value!r} is not a {kind}") from exc


def _table(session: Session, spec: StandardSpec) -> Table | None:
    table = store_table(spec)
    if not inspect(session.connection()).has_table(table.name):
        return None
    return table


def is_empty(*, session: Session, spec: StandardSpec) -> bool:
    """True when the standard version's table does not exist or holds no row."""
    table = _table(session, spec)
    return (
        table is None
        or session.execute(select(table.c[spec.primary_key[0]]).limit(1)).first() is None
    )


def _row_dict(spec: StandardSpec, row: Mapping[Any, Any]) -> dict[str, Any]:
    out = {f: _plain(row[f]) for f in spec.field_names}
    out["_key"] = record_key(row, spec.primary_key)
    for column in PROVENANCE:
        out[column] = _plain(row[column])
    return out


def get_records(
    *, session: Session, dataset: str, keys: Sequence[str], version: int | None = None
) -> list[dict[str, Any]]:
    """Current values of the records with these keys, in input order; missing keys omitted."""
    spec = _spec(session, dataset, version)
    table = _table(session, spec)
    if table is None or not keys:
        return []
    key_cols = [table.c[k] for k in spec.primary_key]
    found: dict[str, dict[str, Any]] = {}
    wanted = list(dict.fromkeys(keys))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        tuples = []
        for k in part:
            values = split_key(k, len(key_cols))
            if values is not None:
                tuples.append(
                    tuple(_typed(spec, f, v) for f, v in zip(spec.primary_key, values, strict=True))
                )
        if not tuples:
            continue
        if len(key_cols) == 1:
            condition = key_cols[0].in_([t[0] for t in tuples])
        else:
            condition = tuple_(*key_cols).in_(tuples)
        for row in session.execute(select(table).where(condition)).mappings():
            record = _row_dict(spec, row)
            found[record["_key"]] = record
    return [found[k] for k in keys if k in found]


def list_records(
    *,
    session: Session,
    dataset: str,
    filters: Mapping[str, str] | None = None,
    area_codes: Collection[str] | None = None,
    page: PageRequest,
    version: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of records ordered by key; ``area_codes`` None = no area filter, empty = none.

    Cursors are bound to the dataset version, the filters and the area as well as to
    ``page.caller``."""
    spec = _spec(session, dataset, version)
    scope = ("store", spec.name, spec.version, sorted((filters or {}).items()), area_codes)
    page.start(scope, len(spec.primary_key))  # a bad cursor or limit fails before any read
    table = _table(session, spec)
    if table is None or (area_codes is not None and not area_codes):
        return [], None
    stmt = select(table)
    for field, value in (filters or {}).items():
        if field not in spec.field_names:
            raise ValidationFailed.on(field, "unknown-field", f"{dataset} has no field {field!r}")
        stmt = stmt.where(table.c[field] == _typed(spec, field, value))
    if area_codes is not None:
        stmt = stmt.where(table.c[spec.area_field].in_(list(area_codes)))
    key_cols = [table.c[k] for k in spec.primary_key]
    rows, nxt = keyset_page(session, stmt, keys=key_cols, page=page, scope=scope, rows=True)
    return [_row_dict(spec, r) for r in rows], nxt


def frame_schema(spec: StandardSpec) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {f.name: POLARS_TYPES[f.type] for f in spec.fields}
    schema.update(
        {
            "_batch_id": pl.Utf8(),
            "_source_system": pl.Utf8(),
            "_loaded_at": pl.Datetime("us", "UTC"),
            "_updated_at": pl.Datetime("us", "UTC"),
        }
    )
    return schema


def iter_frames(
    *,
    engine_or_session: Engine | Session,
    dataset: str,
    version: int | None = None,
    batch_size: int = 100_000,
) -> Iterator[pl.DataFrame]:
    """Every record of a dataset as Polars frames of at most ``batch_size`` rows, by key."""
    if isinstance(engine_or_session, Session):
        yield from _frames(engine_or_session, dataset, version, batch_size)
        return
    with Session(engine_or_session) as session:
        yield from _frames(session, dataset, version, batch_size)


def _frames(
    session: Session, dataset: str, version: int | None, batch_size: int
) -> Iterator[pl.DataFrame]:
    spec = _spec(session, dataset, version)
    table = _table(session, spec)
    if table is None:
        return
    schema = frame_schema(spec)
    columns = list(schema)
    key_cols = [table.c[k] for k in spec.primary_key]
    stmt = select(*[table.c[c] for c in columns]).order_by(*key_cols)
    result = session.execute(stmt.execution_options(yield_per=batch_size))
    for part in result.partitions(batch_size):
        frame = pl.DataFrame([tuple(r) for r in part], schema=schema, orient="row")
        yield frame.with_columns(key_expr([pl.col(k) for k in spec.primary_key]).alias("_key"))
