"""The keys (and tagged unique values) a batch's earlier chunks held, in bounded memory.

Up to ``limit`` values are kept in memory; past it they move to a temporary SQLite file, with a
fixed 8 MiB filter in front of it, so a batch of any size holds at most ``limit`` values in
memory. A chunk is probed by 64-bit hash first — one pass over integers, not over text — and the
few candidates are confirmed on the text itself, so a hash collision never flags a row.

On disk the values are grouped by the top bits of their hash: a move writes one row per group
(a JSON list of its values, built by Polars), not one per value — binding each value from
Python made a move of a million values take seconds. A probe reads the groups of the hashes the
filter let through and compares their values as text.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

import polars as pl

SEEN_IN_MEMORY = 250_000  # values held in memory before they move to disk
# In front of the values on disk, three bits per value among 2**26 (8 MiB, a Bloom filter):
# only a hash whose three bits are all set is looked up on disk (at 2 million values on disk,
# about 1 in 1,500; at 10 million, 1 in 20).
_FILTER_BITS = 26
_FILTER_SHIFTS = (38, 19, 0)  # each bit's place: 26 bits of the hash from there
# Values on disk are grouped by the top 14 bits of their hash: a move of 250,000 values writes
# 16,384 rows of about 15 values; a probe reads one row per group and move.
_GROUP_BITS = 14
_ITEMS = pl.Struct({"value": pl.List(pl.Utf8)})  # a group's row: {"value": [...]}


def _filter_slots(hashes: pl.Series) -> list[pl.Series]:
    """Each hash's three bits in the filter."""
    return [
        ((hashes // (1 << shift)) % (1 << _FILTER_BITS)).cast(pl.UInt32) for shift in _FILTER_SHIFTS
    ]


def _groups(hashes: pl.Series) -> pl.Series:
    """Each hash's group on disk: its top bits."""
    return (hashes // (1 << (64 - _GROUP_BITS))).cast(pl.Int64).alias("group")


class Seen:
    """The values of a batch's earlier chunks: ``add`` each chunk's, ``hits`` to find repeats.

    ``close`` removes the file the values moved to (if any)."""

    def __init__(self, limit: int = SEEN_IN_MEMORY) -> None:
        self.limit = limit
        self._values = pl.Series("seen", [], pl.Utf8)
        self._hashes = self._values.hash()
        self._spilled = 0
        self._on_disk: pl.Series | None = None  # the filter's bits
        self._dir: Path | None = None
        self._db: sqlite3.Connection | None = None

    def __len__(self) -> int:
        return len(self._values) + self._spilled

    @property
    def spilled(self) -> int:
        """How many values moved to disk."""
        return self._spilled

    def add(self, tags: pl.Series) -> None:
        tags = tags.alias("seen")
        self._values = pl.concat([self._values, tags], rechunk=False)
        self._hashes = pl.concat([self._hashes, tags.hash()], rechunk=False)
        if len(self._values) > self.limit:
            self._spill()

    def hits(self, tags: pl.Series) -> pl.Series:
        """The values of ``tags`` already seen."""
        if not len(self) or not len(tags):
            return self._values.clear()
        hashes = tags.hash()
        near = self._values.filter(self._hashes.is_in(hashes.implode()))
        if self._on_disk is not None:
            bits = [self._on_disk.gather(slots) for slots in _filter_slots(hashes)]
            maybe = hashes.filter(bits[0] & bits[1] & bits[2])
            if len(maybe):
                near = pl.concat([near, self._near_on_disk(maybe)])
        if not len(near):  # the usual case: no candidate, no text compared
            return near
        return near.filter(near.is_in(tags.implode()))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self._dir = Path(tempfile.mkdtemp(prefix="lienthong-seen-"))
            # Another thread may close it (a generator finished elsewhere); use is sequential.
            self._db = sqlite3.connect(self._dir / "seen.db", check_same_thread=False)
            self._db.executescript(
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-4096;"
                'CREATE TABLE seen ("group" INTEGER NOT NULL, items TEXT NOT NULL);'
                'CREATE INDEX seen_group ON seen ("group");'
            )
        return self._db

    def _spill(self) -> None:
        """Move every value held in memory to disk: one row per group of hashes."""
        rows = (
            pl.DataFrame([_groups(self._hashes), self._values])
            .group_by("group")
            .agg(pl.col("seen").alias("value"))
            .select("group", pl.struct("value").struct.json_encode())
        )
        with self._connect() as db:
            db.executemany('INSERT INTO seen ("group", items) VALUES (?, ?)', rows.iter_rows())
        if self._on_disk is None:
            self._on_disk = pl.repeat(False, 1 << _FILTER_BITS, eager=True)
        for slots in _filter_slots(self._hashes):
            self._on_disk = self._on_disk.scatter(slots, True)
        self._spilled += len(self._values)
        self._values = self._values.clear()
        self._hashes = self._values.hash()

    def _near_on_disk(self, hashes: pl.Series) -> pl.Series:
        """The values on disk in the groups of ``hashes`` (theirs among them, if seen)."""
        groups = json.dumps(_groups(hashes).unique().to_list())
        with self._connect() as db:
            found = db.execute(
                'SELECT items FROM seen WHERE "group" IN (SELECT value FROM json_each(?))',
                (groups,),
            ).fetchall()
        if not found:
            return self._values.clear()
        items = pl.Series("items", [items for (items,) in found], pl.Utf8)
        return items.str.json_decode(_ITEMS).struct.field("value").explode().alias("seen")
