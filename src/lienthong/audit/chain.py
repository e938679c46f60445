"""The hash chain: canonical form, appending a batch under the head lock, signing checkpoints.

``hash(n) = SHA-256(hash(n-1) as 64 hex ASCII characters + canonical JSON of entry n)``, with
64 zeros before the first entry. Canonical JSON: keys sorted, no spaces, UTF-8 (not escaped).
A checkpoint signs the canonical JSON ``{"at", "hash", "seq"}`` with Ed25519.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, insert, select, update

from lienthong.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditSubject
from lienthong.db import utcnow

GENESIS = "0" * 64
entries = AuditEntry.__table__
subjects = AuditSubject.__table__
checkpoints = AuditCheckpoint.__table__
head = AuditHead.__table__


def canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, body: str) -> str:
    return hashlib.sha256(previous.encode("ascii") + body.encode("utf-8")).hexdigest()


def checkpoint_message(seq: int, hash_: str, at: str) -> bytes:
    return canonical({"at": at, "hash": hash_, "seq": seq}).encode()


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(head.c.id).where(head.c.id == 1)).first() is None:
        conn.execute(
            insert(head).values(id=1, seq=0, hash=GENESIS, checkpoint_seq=0, checkpoint_at=utcnow())
        )


def _lock_head(conn: Connection) -> Any:
    stmt = select(head).where(head.c.id == 1)
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    else:
        # Take SQLite's write lock now, so that two appenders never read the same head.
        conn.execute(update(head).where(head.c.id == 1).values(id=1))
    row = conn.execute(stmt).first()
    if row is None:
        ensure_head(conn)
        row = conn.execute(stmt).first()
    return row


def append(
    conn: Connection,
    events: Sequence[Mapping[str, Any]],
    *,
    key: Ed25519PrivateKey,
    key_id: str,
    checkpoint_every: int,
    checkpoint_seconds: float | None = None,
) -> list[int]:
    """Append ``events`` (each with optional ``subjects``) in the caller's transaction."""
    row = _lock_head(conn)
    seq, previous = int(row.seq), str(row.hash)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    entry_rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
    assigned: list[int] = []
    for event in events:
        seq += 1
        body = canonical({**event, "seq": seq, "at": at})
        previous = chain_hash(previous, body)
        entry_rows.append({"seq": seq, "body": body, "hash": previous})
        subject_rows.extend({"seq": seq, "subject": s} for s in set(event.get("subjects", ())))
        assigned.append(seq)
    if not entry_rows:
        return []
    conn.execute(insert(entries), entry_rows)
    if subject_rows:
        conn.execute(insert(subjects), subject_rows)
    values: dict[str, Any] = {"seq": seq, "hash": previous}
    now = utcnow()
    due_by_time = checkpoint_seconds is not None and (
        (now - row.checkpoint_at).total_seconds() >= checkpoint_seconds
    )
    if seq - int(row.checkpoint_seq) >= checkpoint_every or due_by_time:
        write_checkpoint(conn, seq=seq, hash_=previous, key=key, key_id=key_id)
        values |= {"checkpoint_seq": seq, "checkpoint_at": now}
    conn.execute(update(head).where(head.c.id == 1).values(**values))
    return assigned


def write_checkpoint(
    conn: Connection, *, seq: int, hash_: str, key: Ed25519PrivateKey, key_id: str
) -> None:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    signature = base64.b64encode(key.sign(checkpoint_message(seq, hash_, at))).decode()
    conn.execute(
        insert(checkpoints).values(seq=seq, hash=hash_, at=at, key_id=key_id, signature=signature)
    )


def checkpoint_now(conn: Connection, *, key: Ed25519PrivateKey, key_id: str) -> int | None:
    """Sign the current head if entries arrived since the last checkpoint (timer, shutdown)."""
    row = _lock_head(conn)
    if int(row.seq) <= int(row.checkpoint_seq):
        return None
    write_checkpoint(conn, seq=int(row.seq), hash_=str(row.hash), key=key, key_id=key_id)
    conn.execute(
        update(head).where(head.c.id == 1).values(checkpoint_seq=row.seq, checkpoint_at=utcnow())
    )
    return int(row.seq)
