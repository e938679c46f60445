"""One run per input at a time: a claim held while a batch runs.

Two identical uploads at the same moment (a double click) would otherwise resume the same
batch side by side. The claim belongs to one database (on PostgreSQL, to one schema: a platform
of its own) and is the backend's advisory lock, which dies with its holder, so a run killed
with ``kill -9`` never leaves a stale claim behind: a PostgreSQL session advisory lock on a
connection held for the run, and for SQLite an exclusive ``flock`` on a file beside the
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import Engine

from lienthong.backends import LockHeld, backend_for
from lienthong.errors import Conflict


class BatchInProgress(Conflict):
    code = "batch-in-progress"


@contextmanager
def claim(engine: Engine, key: str) -> Iterator[None]:
    """Hold the claim on ``key`` (e.g. checksum, standard and system) in this engine's database
    (on PostgreSQL: its schema, which is a platform of its own) or raise ``batch-in-progress``
    (409) when another run holds it."""
    with ExitStack() as held:
        try:
            held.enter_context(backend_for(engine).exclusive(engine, key))
        except LockHeld as exc:
            raise BatchInProgress(
                "the same input is being loaded into the same standard by the same system "
                "right now; wait for that batch to finish"
            ) from exc
        yield
