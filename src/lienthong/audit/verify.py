"""Verify the chain and checkpoint signatures in the database; export for outside auditors."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from lienthong.audit import chain
from lienthong.security.keys import public_pem


@dataclass
class Problem:
    seq: int
    code: str
    message: str


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def first_broken(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"first_broken": self.first_broken}

    def fail(self, seq: int, code: str, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(seq, code, message))


def verify(conn: Connection, public_key: Ed25519PublicKey, *, batch: int = 20_000) -> VerifyReport:
    """Recompute every hash in seq order; check checkpoints against the chain and the key."""
    report = VerifyReport()
    hashes_at: dict[int, str] = {}
    marks = {int(r.seq) for r in conn.execute(select(chain.checkpoints.c.seq))}
    previous = chain.GENESIS
    expected = 1
    stmt = select(chain.entries.c.seq, chain.entries.c.body, chain.entries.c.hash).order_by(
        chain.entries.c.seq
    )
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
    for seq, body, stored in result:
        if report.ok:
            if seq != expected:
                report.fail(expected, "entry-missing", f"entries {expected}..{seq - 1} are missing")
            elif not (f'"seq":{seq},' in body or body.endswith(f'"seq":{seq}}}')):
                report.fail(seq, "entry-moved", f"entry {seq} does not carry its own number")
            else:
                computed = chain.chain_hash(previous, body)
                if computed != stored:
                    report.fail(seq, "hash-mismatch", f"entry {seq} was altered, inserted or moved")
                previous = computed
        if seq in marks:
            hashes_at[seq] = stored
        expected = seq + 1
        report.entries += 1
    last = expected - 1
    for cp in conn.execute(select(chain.checkpoints).order_by(chain.checkpoints.c.seq)):
        report.checkpoints += 1
        message = chain.checkpoint_message(int(cp.seq), cp.hash, cp.at)
        try:
            public_key.verify(base64.b64decode(cp.signature), message)
        except (InvalidSignature, ValueError):
            report.fail(
                int(cp.seq),
                "bad-checkpoint-signature",
                f"checkpoint at entry {cp.seq} is not signed by the audit key",
            )
            continue
        if cp.seq > last:
            report.fail(
                last + 1,
                "entries-truncated",
                f"checkpoint at entry {cp.seq} but the log ends at {last}",
            )
        elif hashes_at.get(int(cp.seq)) != cp.hash:
            report.fail(
                int(cp.seq),
                "checkpoint-mismatch",
                f"entries up to {cp.seq} differ from what checkpoint {cp.seq} signed",
            )
    head = conn.execute(select(chain.head).where(chain.head.c.id == 1)).first()
    if head is not None and report.ok and int(head.seq) != last:
        report.fail(
            min(int(head.seq), last) + 1,
            "entries-truncated",
            f"the head is at entry {head.seq} but the log ends at {last}",
        )
    report.problems.sort(key=lambda p: p.seq)
    return report


def export(conn: Connection, public_key: Ed25519PublicKey, folder: Path) -> dict[str, int]:
    """entries.jsonl (seq, hash, body), checkpoints.jsonl and audit-public-key.pem."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    stmt = select(chain.entries.c.seq, chain.entries.c.hash, chain.entries.c.body).order_by(
        chain.entries.c.seq
    )
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as out:
        for seq, hash_, body in conn.execution_options(yield_per=20_000).execute(stmt):
            out.write(json.dumps({"seq": seq, "hash": hash_, "body": body}, ensure_ascii=False))
            out.write("\n")
            count += 1
    checkpoints = 0
    with (folder / "checkpoints.jsonl").open("w", encoding="utf-8") as out:
        for cp in conn.execute(select(chain.checkpoints).order_by(chain.checkpoints.c.seq)):
            row = {
                "seq": cp.seq,
                "hash": cp.hash,
                "at": cp.at,
                "key_id": cp.key_id,
                "signature": cp.signature,
            }
            out.write(json.dumps(row) + "\n")
            checkpoints += 1
    (folder / "audit-public-key.pem").write_bytes(public_pem(public_key))
    return {"entries": count, "checkpoints": checkpoints}
