"""The hash chain: canonical form, appending a batch under the head lock, signing checkpoints.

``hash(n) = SHA-256(hash(n-1) as 64 hex ASCII characters + canonical JSON of entry n)``, with
64 zeros before the first entry. Canonical JSON: keys sorted, no spaces, UTF-8 (not escaped).

A checkpoint signs, with Ed25519, the canonical JSON of its statement ``{"at", "every", "hash",
"prev", "seconds", "seq"}``: the chain up to ``seq`` ends in ``hash``; the checkpoint before it
is at ``prev``; the policy in force is a checkpoint every ``every`` entries and at least every
``seconds`` while entries arrive. Because the policy is signed, a verifier can tell when a
checkpoint the policy required is missing. A checkpoint is due when ``every`` entries have
passed since the last one (at exactly that entry, even within a batch), when ``seconds`` have
passed, and at the first entry after the policy changed (so each policy is signed before it
applies). Statements written before the policy was signed hold only ``at``, ``hash``, ``seq``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Table, insert, select, update

from lienthong.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditSubject
from lienthong.backends import backend_for
from lienthong.db import utcnow

GENESIS = "0" * 64
SIGNED = ("at", "every", "hash", "prev", "seconds", "seq")
PUBLISHED = (*SIGNED, "key_id", "signature")
entries: Table = cast(Table, AuditEntry.__table__)
subjects: Table = cast(Table, AuditSubject.__table__)
checkpoints: Table = cast(Table, AuditCheckpoint.__table__)
head: Table = cast(Table, AuditHead.__table__)


@dataclass(frozen=True)
class Signer:
    """The audit key and the checkpoint policy its checkpoints state."""

    key: Ed25519PrivateKey
    key_id: str
    every: int
    seconds: int

    @classmethod
    def of(cls, key: Ed25519PrivateKey, key_id: str, every: int, seconds: float) -> Signer:
        # Whole seconds in the statement (JSON numbers must read alike in every language);
        # rounding up keeps the stated promise true.
        return cls(key, key_id, max(1, every), max(1, math.ceil(seconds)))


def canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous: str, body: str) -> str:
    return hashlib.sha256(previous.encode("ascii") + body.encode("utf-8")).hexdigest()


def statement(checkpoint: Mapping[str, Any]) -> bytes:
    """The signed bytes of a checkpoint (a row or a published line): its signed fields."""
    signed = {k: checkpoint[k] for k in SIGNED if checkpoint.get(k) is not None}
    return canonical(signed).encode()


def published(row: Any) -> dict[str, Any]:
    """A checkpoint (row, ORM object or mapping) as published and exported: its statement,
    ``key_id`` and ``signature``."""
    data = row if isinstance(row, Mapping) else {k: getattr(row, k, None) for k in PUBLISHED}
    return {k: data[k] for k in PUBLISHED if data.get(k) is not None}


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(head.c.id).where(head.c.id == 1)).first() is None:
        conn.execute(
            insert(head).values(id=1, seq=0, hash=GENESIS, checkpoint_seq=0, checkpoint_at=utcnow())
        )


def _lock_head(conn: Connection) -> Any:
    # Locked for update, so that two appenders never read the same head.
    stmt = backend_for(conn).lock_for_update(conn, head, head.c.id == 1)
    row = conn.execute(stmt).first()
    if row is None:
        ensure_head(conn)
        row = conn.execute(stmt).first()
    return row


def append(conn: Connection, events: Sequence[Mapping[str, Any]], *, signer: Signer) -> list[int]:
    """Append ``events`` (each with optional ``subjects``) in the caller's transaction."""
    if not events:
        return []
    row = _lock_head(conn)
    seq, previous, last = int(row.seq), str(row.hash), int(row.checkpoint_seq)
    now = utcnow()
    at = now.isoformat(timespec="microseconds")
    policy_changed = (row.checkpoint_every, row.checkpoint_seconds) != (
        signer.every,
        signer.seconds,
    )
    entry_rows: list[dict[str, Any]] = []
    subject_rows: list[dict[str, Any]] = []
    due: list[tuple[int, str]] = []
    for event in events:
        seq += 1
        body = canonical({**event, "seq": seq, "at": at})
        previous = chain_hash(previous, body)
        entry_rows.append({"seq": seq, "body": body, "hash": previous})
        subject_rows.extend({"seq": seq, "subject": s} for s in set(event.get("subjects", ())))
        if policy_changed or seq - last >= signer.every:
            due.append((seq, previous))
            last, policy_changed = seq, False
    if last != seq and (now - row.checkpoint_at).total_seconds() >= signer.seconds:
        due.append((seq, previous))
    conn.execute(insert(entries), entry_rows)
    if subject_rows:
        conn.execute(insert(subjects), subject_rows)
    values: dict[str, Any] = {"seq": seq, "hash": previous}
    if due:
        values |= _sign(conn, row, due, signer)
    conn.execute(update(head).where(head.c.id == 1).values(**values))
    return [r["seq"] for r in entry_rows]


def _sign(conn: Connection, row: Any, due: list[tuple[int, str]], signer: Signer) -> dict[str, Any]:
    """Write the checkpoints ``due`` after the head ``row``; the head's new checkpoint fields."""
    # Never earlier than the previous checkpoint, so checkpoint times are monotone even when
    # the clocks of several nodes disagree a little.
    stamp = max(utcnow(), row.checkpoint_at)
    at = stamp.astimezone(UTC).isoformat(timespec="seconds")
    prev = int(row.checkpoint_seq)
    signed = []
    for seq, hash_ in due:
        values = {
            "seq": seq,
            "hash": hash_,
            "at": at,
            "prev": prev,
            "every": signer.every,
            "seconds": signer.seconds,
        }
        signature = base64.b64encode(signer.key.sign(statement(values))).decode()
        signed.append(values | {"key_id": signer.key_id, "signature": signature})
        prev = seq
    conn.execute(insert(checkpoints), signed)
    return {
        "checkpoint_seq": prev,
        "checkpoint_at": stamp,
        "checkpoint_every": signer.every,
        "checkpoint_seconds": signer.seconds,
    }


def checkpoint_now(conn: Connection, *, signer: Signer) -> int | None:
    """Sign the current head if entries arrived since the last checkpoint (timer, shutdown)."""
    row = _lock_head(conn)
    if int(row.seq) <= int(row.checkpoint_seq):
        return None
    values = _sign(conn, row, [(int(row.seq), str(row.hash))], signer)
    conn.execute(update(head).where(head.c.id == 1).values(**values))
    return int(row.seq)
