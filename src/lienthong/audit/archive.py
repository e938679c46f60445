"""Taking old stretches of the audit log out of the database, keeping the chain verifiable.

``archive(...)`` writes the entries up to the last signed checkpoint dated before a day into a
file (one JSON line per entry: ``seq``, ``hash``, ``body``, as ``lienthong audit export``
writes them), fsyncs it, then in one transaction records the stretch in ``audit_archives`` (its
last hash, the file's SHA-256), deletes those entries and their subject index rows, drops the
monthly partitions it emptied (PostgreSQL), and audits what it did (``audit.archive``).

The stretch always ends at a signed checkpoint, which stays in the database: ``lienthong audit
verify`` continues the chain from the archived last hash and checks it against that signed
checkpoint, so the online part is proven to extend the archived one without the file; given
the files (``--archive DIR``), it recomputes them too (docs/audit.md, "Archiving").
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select

from lienthong.audit import chain, partitions
from lienthong.audit.models import AuditArchive
from lienthong.db import utcnow
from lienthong.errors import ValidationFailed
from lienthong.events import event

archives: Table = cast(Table, AuditArchive.__table__)


@dataclass(frozen=True)
class Archived:
    first_seq: int
    last_seq: int
    entries: int
    file: Path
    sha256: str
    dropped_partitions: tuple[str, ...]


def archived(conn: Connection) -> list[dict[str, Any]]:
    """The archived stretches, oldest first."""
    rows = conn.execute(select(archives).order_by(archives.c.first_seq))
    return [dict(r._mapping) for r in rows]


def _end(conn: Connection, before: date, after: int) -> int | None:
    """The last signed checkpoint dated before ``before`` and beyond ``after``."""
    stamp = before.isoformat()
    found = conn.execute(
        select(func.max(chain.checkpoints.c.seq)).where(
            chain.checkpoints.c.at < stamp, chain.checkpoints.c.seq > after
        )
    ).scalar_one()
    return None if found is None else int(found)


def archive(
    conn: Connection, before: date, folder: Path, *, actor: Mapping[str, Any], signer: chain.Signer
) -> Archived | None:
    """Archive the entries up to the last checkpoint dated before ``before`` into ``folder``;
    None when there is nothing to archive. Runs in the caller's transaction (the file is
    written and synced first: a failed transaction leaves a file and no record of it)."""
    done = archived(conn)
    first = done[-1]["last_seq"] + 1 if done else 1
    end = _end(conn, before, first - 1)
    if end is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"audit-archive-{first:012d}-{end:012d}.jsonl"
    digest, count, last_hash = _write(conn, path, first, end)
    if count != end - first + 1:
        raise ValidationFailed(
            f"entries {first}..{end} are not all in the database ({count} found); "
            "run `lienthong audit verify` before archiving",
            code="audit-archive-incomplete",
        )
    conn.execute(
        insert(archives).values(
            first_seq=first,
            last_seq=end,
            last_hash=last_hash,
            entries=count,
            file=path.name,
            sha256=digest,
            archived_at=utcnow(),
        )
    )
    conn.execute(delete(chain.subjects).where(chain.subjects.c.seq <= end))
    conn.execute(delete(chain.entries).where(chain.entries.c.seq <= end))
    dropped = partitions.drop_empty_before(conn, before)
    detail = {"first_seq": first, "last_seq": end, "file": path.name, "sha256": digest}
    chain.append(conn, [event("audit.archive", actor=actor, detail=detail)], signer=signer)
    return Archived(first, end, count, path, digest, tuple(dropped))


def _rows(conn: Connection, first: int, end: int) -> Iterator[tuple[int, str, str]]:
    stmt = (
        select(chain.entries.c.seq, chain.entries.c.hash, chain.entries.c.body)
        .where(chain.entries.c.seq >= first, chain.entries.c.seq <= end)
        .order_by(chain.entries.c.seq)
    )
    # Options on the statement, not the connection: the caller's later statements (the
    # archive record, the deletes) must not run through a server-side cursor.
    streamed = stmt.execution_options(stream_results=True, yield_per=20_000)
    for seq, stored, body in conn.execute(streamed):
        yield int(seq), str(stored), str(body)


def _write(conn: Connection, path: Path, first: int, end: int) -> tuple[str, int, str]:
    digest = hashlib.sha256()
    count, last_hash = 0, ""
    with path.open("wb") as out:
        for seq, stored, body in _rows(conn, first, end):
            line = (json.dumps({"seq": seq, "hash": stored, "body": body}) + "\n").encode()
            out.write(line)
            digest.update(line)
            count, last_hash = count + 1, stored
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), count, last_hash


def read_archive(path: Path) -> Iterator[tuple[int, str, str]]:
    """The entries of an archive file: (seq, stored hash, body)."""
    with path.open("r", encoding="utf-8") as lines:
        for line in lines:
            value = json.loads(line)
            yield int(value["seq"]), str(value["hash"]), str(value["body"])


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
