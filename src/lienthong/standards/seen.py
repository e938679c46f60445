"""The keys (and tagged unique values) a batch's earlier chunks held, in bounded memory.

Up to ``limit`` values are kept in memory; past it the older ones move to a temporary SQLite
file of (hash, value) with a fixed 8 MiB filter in front of it, so a batch of any size holds
at most ``limit`` values in memory. A chunk is probed by 64-bit hash first — one pass over
integers, not over text — and the few candidates are confirmed on the text itself, so a hash
collision never flags a row.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

import polars as pl

SEEN_IN_MEMORY = 1_000_000  # values held in memory before older ones move to disk
_PROBE_ROWS = 50_000  # values bound at a time
# In front of the values on disk, one bit per 2**38 hashes (8 MiB, set for each value moved):
# only a hash whose bit is set is looked up on disk (at 2 million values, about 3 %).
_FILTER_BITS = 26


def _signed(hashes: pl.Series) -> pl.Series:
    """Polars' unsigned 64-bit hashes as SQLite integers (signed 64-bit)."""
    return hashes.reinterpret(signed=True)


def _slots(hashes: pl.Series) -> pl.Series:
    """Each hash's bit in the filter: its top bits."""
    return (hashes // (1 << (64 - _FILTER_BITS))).cast(pl.UInt32)


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
            maybe = hashes.filter(self._on_disk.gather(_slots(hashes)))
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
                "CREATE TABLE seen (hash INTEGER NOT NULL, value TEXT NOT NULL);"
                "CREATE INDEX seen_hash ON seen (hash);"
                "CREATE TEMP TABLE probe (hash INTEGER NOT NULL);"
            )
        return self._db

    def _spill(self) -> None:
        """Move every value held in memory to disk."""
        db = self._connect()
        # In hash order, so the index grows at its end, not at random places.
        moved = pl.DataFrame({"hash": _signed(self._hashes), "value": self._values}).sort("hash")
        with db:
            for part in moved.iter_slices(_PROBE_ROWS):  # a slice at a time as Python values
                db.executemany(
                    "INSERT INTO seen (hash, value) VALUES (?, ?)",
                    zip(part["hash"].to_list(), part["value"].to_list(), strict=True),
                )
        if self._on_disk is None:
            self._on_disk = pl.repeat(False, 1 << _FILTER_BITS, eager=True)
        self._on_disk = self._on_disk.scatter(_slots(self._hashes), True)
        self._spilled += len(self._values)
        self._values = self._values.clear()
        self._hashes = self._values.hash()

    def _near_on_disk(self, hashes: pl.Series) -> pl.Series:
        """Values on disk whose hash one of ``hashes`` has."""
        db = self._connect()
        found: list[str] = []
        with db:
            # In hash order: the probes then walk the index's pages in order, each read once.
            probes = _signed(hashes).unique().sort()
            for part in probes.to_frame().iter_slices(_PROBE_ROWS):
                db.execute("DELETE FROM probe")
                db.executemany("INSERT INTO probe (hash) VALUES (?)", part.iter_rows())
                found += [
                    value
                    for (value,) in db.execute(
                        "SELECT seen.value FROM probe CROSS JOIN seen ON seen.hash = probe.hash"
                    )
                ]
        return pl.Series("seen", found, pl.Utf8)
