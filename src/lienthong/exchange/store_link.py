"""The exchange's view of the store: dataset descriptions and a lean single-key read.

A dataset's description (which parses its standard) and its table's primary-key select are
cached per process and re-checked every few seconds, so that a newly published version or a
store table created by a first ingest is picked up; the hot path is then one pre-compiled
primary-key select (exchange.hotpath).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, MetaData, Table, and_, bindparam, select, true
from sqlalchemy.orm import Session

from lienthong.dataset.coerce import parse_value
from lienthong.dataset.keys import split_key
from lienthong.errors import NotFound
from lienthong.exchange.hotpath import HotPath, Prepared
from lienthong.security.state import LIVE_STATE
from lienthong.store.service import DatasetInfo, dataset_info

PERSON_RULES = ("personal-id", "identity-document", "personal-id-or-tax-code")
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Dataset:
    info: DatasetInfo
    by_key: Prepared | None  # None while the store has no table for this version
    with_live: Prepared | None  # the caller's liveness row and the record, one round trip
    types: dict[str, str]
    person_fields: tuple[str, ...]
    checked_at: float


def known_fields(*, session: Session, dataset: str, version: int | None = None) -> list[str]:
    """Field names of the dataset (unknown dataset → 404 ``unknown-dataset``)."""
    return [f.name for f in dataset_info(session=session, dataset=dataset, version=version).fields]


class Datasets:
    """Per-process cache of dataset descriptions, keyed by name and version."""

    def __init__(self, hot: HotPath | None) -> None:
        self.hot = hot  # None: descriptions only, no prepared select
        self._cache: dict[tuple[str, int | None], Dataset] = {}
        self._last: dict[str, int] = {}  # the version of a dataset last loaded

    def get(self, dataset: str, version: int | None = None) -> Dataset | None:
        """The cached description while it is fresh (None: call ``load``)."""
        found = self._cache.get((dataset, version))
        if found is None or (found.by_key is None and self.hot is not None):
            return None
        if time.monotonic() - found.checked_at > RECHECK_SECONDS:
            return None
        return found

    def recent(self, dataset: str, version: int | None) -> Dataset | None:
        """The cached description of ``version``, or of the version last read (a guess made
        before the caller's grant is known; the reader checks it against the grant)."""
        return self.get(dataset, version if version is not None else self._last.get(dataset))

    def load(self, conn: Connection, dataset: str, version: int | None = None) -> Dataset:
        with Session(bind=conn) as session:
            info = dataset_info(session=session, dataset=dataset, version=version)
        old = self._cache.get((dataset, version))
        if old is not None and old.by_key is not None and old.info == info:
            found = Dataset(
                info, old.by_key, old.with_live, old.types, old.person_fields, time.monotonic()
            )
        else:
            by_key = with_live = None
            if self.hot is not None and conn.dialect.has_table(conn, info.table):
                table = Table(info.table, MetaData(), autoload_with=conn)
                condition = and_(*[table.c[f] == bindparam(f"k_{f}") for f in info.key_fields])
                by_key = self.hot.prepare(select(table).where(condition))
                live = LIVE_STATE.subquery("live")
                record = select(table).where(condition).subquery("record")
                with_live = self.hot.prepare(
                    select(
                        live.c.revoked_at.label("_revoked_at"),
                        live.c.status.label("_system_status"),
                        live.c.gv.label("_grants_version"),
                        *record.c,
                    ).select_from(live.outerjoin(record, true()))
                )
            found = Dataset(
                info,
                by_key,
                with_live,
                {f.name: f.type for f in info.fields},
                tuple(f.name for f in info.fields if f.identifier in PERSON_RULES),
                time.monotonic(),
            )
        self._cache[(dataset, version)] = found
        self._last[dataset] = info.version
        return found


_described = Datasets(None)


def describe(conn: Connection, dataset: str) -> Dataset:
    """The dataset's description, cached in process (for readers that use the store service)."""
    return _described.get(dataset) or _described.load(conn, dataset)


def key_values(ds: Dataset, key: str) -> dict[str, Any] | None:
    """Bind values for the key (dataset.keys); None if it cannot match."""
    parts = split_key(key, len(ds.info.key_fields))
    if parts is None:
        return None
    try:
        return {
            f"k_{f}": parse_value(ds.types[f], v)
            for f, v in zip(ds.info.key_fields, parts, strict=True)
        }
    except ValueError:
        return None


def fetch_one(hot: HotPath, ds: Dataset, key: str) -> dict[str, Any] | None:
    """The record with this key, or None."""
    values = key_values(ds, key) if ds.by_key is not None else None
    if ds.by_key is None or values is None:
        return None
    row = hot.first(ds.by_key, values)
    return None if row is None else dict(zip(ds.by_key.columns, row, strict=True))


async def fetch_with_live(
    hot: HotPath, ds: Dataset, values: dict[str, Any], credential_id: int
) -> tuple[list[Any] | None, dict[str, Any] | None]:
    """The caller's liveness row (revoked_at, system status, grants counter) and the record.

    One statement instead of two (one round trip, awaited); the record is used only once the
    caller is authorised.
    """
    assert ds.with_live is not None and ds.by_key is not None
    row = await hot.afirst(ds.with_live, values | {"cid": credential_id})
    if row is None:
        return None, None
    record = row[3:]
    if record[ds.by_key.columns.index(ds.info.key_fields[0])] is None:
        return row[:3], None
    return row[:3], dict(zip(ds.by_key.columns, record, strict=True))


def not_found(dataset: str, key: str) -> NotFound:
    """The one answer for a missing record and for a record outside the grant's area."""
    return NotFound(f"no record {key!r} in {dataset!r}", code="record-not-found")
