"""Reading the store: dataset descriptions, records by key, filtered pages, bulk frames.

This is the interface other domains use (exchange, linkage); see docs/ingest.md.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Engine, Table, and_, inspect, or_, select, tuple_
from sqlalchemy.orm import Session

from lienthong.bounds import fits_bigint
from lienthong.errors import NotFound, ValidationFailed
from lienthong.paging import PageRequest
from lienthong.standards.models import Standard
from lienthong.standards.schema import StandardSpec, parse_standard
from lienthong.standards.validate import POLARS_TYPES
from lienthong.store.tables import PROVENANCE, store_table, table_name

KEY_SEPARATOR = "~"


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


def record_key(values: Mapping[str, Any], key_fields: Sequence[str] | None = None) -> str:
    """Primary-key values joined with ``~`` (a single key: the value itself).

    Without ``key_fields``, ``values`` holds only the key values, in key order.
    """
    fields = list(key_fields) if key_fields is not None else list(values)
    return KEY_SEPARATOR.join(str(values[f]) for f in fields)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def parse_value(kind: str, value: str) -> Any:
    """A field's value from text (a key or a filter); ValueError when it cannot be one.

    Integers outside a signed 64-bit column cannot be stored, so they cannot match either.
    """
    if kind == "integer":
        number = int(value)
        if not fits_bigint(number):
            raise ValueError(f"{value!r} is out of range")
        return number
    if kind == "number":
        return float(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "boolean":
        return value.lower() in {"true", "1"}
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


def _row_dict(spec: StandardSpec, row: Mapping[str, Any]) -> dict[str, Any]:
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
        if len(key_cols) == 1:
            condition = key_cols[0].in_([_typed(spec, spec.primary_key[0], k) for k in part])
        else:
            tuples = []
            for k in part:
                values = k.split(KEY_SEPARATOR)
                if len(values) != len(key_cols):
                    continue
                tuples.append(
                    tuple(_typed(spec, f, v) for f, v in zip(spec.primary_key, values, strict=True))
                )
            if not tuples:
                continue
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
    after = page.start(scope, len(spec.primary_key))
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
    if after is not None:
        if len(key_cols) == 1:
            stmt = stmt.where(key_cols[0] > after[0])
        else:
            # Row-value comparison spelled out: works the same on every engine.
            clauses = []
            for i, col in enumerate(key_cols):
                equal = [key_cols[j] == after[j] for j in range(i)]
                clauses.append(and_(*equal, col > after[i]))
            stmt = stmt.where(or_(*clauses))
    rows = list(session.execute(stmt.order_by(*key_cols).limit(page.limit + 1)).mappings())
    records = [_row_dict(spec, r) for r in rows[: page.limit]]
    if len(rows) <= page.limit:
        return records, None
    last = rows[page.limit - 1]
    return records, page.next_cursor(scope, [_plain(last[k]) for k in spec.primary_key])


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
        key = [pl.col(k).cast(pl.Utf8) for k in spec.primary_key]
        yield frame.with_columns(
            (key[0] if len(key) == 1 else pl.concat_str(key, separator=KEY_SEPARATOR)).alias("_key")
        )
