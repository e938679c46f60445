"""Audit logs for tests: honest entries appended in batches, and the rewrites an attacker makes."""

from __future__ import annotations

import base64

from sqlalchemy import Engine, text

from lienthong.audit import chain
from lienthong.audit.service import audit_keys
from lienthong.config import Settings


def read_entry(n: int) -> dict[str, object]:
    return {"action": "data.read", "actor": {"kind": "system"}, "outcome": "ok", "count": n}


def append_reads(
    engine: Engine, settings: Settings, count: int, *, every: int, batch: int = 3
) -> None:
    """``count`` entries in batches of ``batch``, a checkpoint due every ``every`` entries."""
    keys = audit_keys(settings)
    signer = chain.Signer.of(keys.signing_key, keys.key_id, every, 3600)
    for start in range(0, count, batch):
        with engine.begin() as conn:
            chain.append(
                conn,
                [read_entry(n) for n in range(start, min(count, start + batch))],
                signer=signer,
            )


def rewrite_entry(engine: Engine, seq: int, old: str, new: str) -> None:
    """Alter one entry and recompute every hash after it, head included (no key needed)."""
    previous = chain.GENESIS
    with engine.begin() as conn:
        body = conn.execute(
            text("SELECT body FROM audit_entries WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        assert old in body
        conn.execute(
            text("UPDATE audit_entries SET body = :b WHERE seq = :s"),
            {"b": body.replace(old, new), "s": seq},
        )
        rows = conn.execute(text("SELECT seq, body FROM audit_entries ORDER BY seq")).all()
        for n, b in rows:
            previous = chain.chain_hash(previous, b)
            conn.execute(
                text("UPDATE audit_entries SET hash = :h WHERE seq = :s"), {"h": previous, "s": n}
            )
        conn.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": previous})


def drop_checkpoints(engine: Engine, *, from_seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_checkpoints WHERE seq >= :s"), {"s": from_seq})
        last = conn.execute(text("SELECT max(seq) FROM audit_checkpoints")).scalar() or 0
        conn.execute(text("UPDATE audit_head SET checkpoint_seq = :s WHERE id = 1"), {"s": last})


def checkpoint_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_checkpoints ORDER BY seq")).mappings()
        return [dict(r) for r in rows]


def resign_checkpoints(engine: Engine, settings: Settings) -> None:
    """What an insider holding the signing key can do: sign the rewritten chain again."""
    key = audit_keys(settings).signing_key
    with engine.begin() as conn:
        for row in checkpoint_rows(engine):
            hash_ = conn.execute(
                text("SELECT hash FROM audit_entries WHERE seq = :s"), {"s": row["seq"]}
            ).scalar_one()
            signature = base64.b64encode(key.sign(chain.statement(row | {"hash": hash_})))
            conn.execute(
                text("UPDATE audit_checkpoints SET hash = :h, signature = :g WHERE seq = :s"),
                {"h": hash_, "g": signature.decode(), "s": row["seq"]},
            )
