"""Verify the chain, its checkpoints and checkpoints kept outside the database; export.

What verify proves, given the public key: every entry's hash follows from the one before; each
checkpoint is signed and matches the chain; no checkpoint the signed policy required is missing
(no run of more than ``every`` entries without one, none skipped between two that remain, the
unsigned tail shorter than ``every``); checkpoint times never go back; and the log extends every
checkpoint held outside the database (same seq, same hash). What it cannot prove: that entries
in the unsigned tail (fewer than ``every``, younger than ``seconds``) were not removed or
altered, unless a checkpoint covering them is held outside; and the time rule, since a crash
may legitimately leave the tail unsigned past ``seconds`` and entry times are written by the
same writer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select

from lienthong.audit import chain
from lienthong.audit.archive import archived, file_sha256, read_archive
from lienthong.keys import public_pem

PROBLEMS: dict[str, str] = {
    "hash-mismatch": "an entry was altered, inserted or moved",
    "entry-missing": "entries were deleted",
    "entry-moved": "an entry does not carry its own number",
    "checkpoint-mismatch": "the chain was rewritten after a checkpoint signed it",
    "bad-checkpoint-signature": "a checkpoint is not signed by the audit key (forged)",
    "entries-truncated": "entries after a checkpoint or the head were removed",
    "checkpoint-missing": "a checkpoint the signed policy requires is not there",
    "checkpoint-time-regressed": "a checkpoint is dated before the one preceding it",
    "known-checkpoint-mismatch": "the log no longer extends a checkpoint held outside it",
    "archive-gap": "archived stretches do not follow each other from the first entry",
    "archive-unanchored": "no signed checkpoint holds the end of an archived stretch",
    "archive-file-mismatch": "an archive file is missing or differs from what was archived",
}


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
    known_checkpoints: int = 0
    unsigned_tail: int = 0
    archived_entries: int = 0  # entries taken out of the database (lienthong audit archive)
    archive_files_checked: int = 0  # archive files recomputed (verify --archive)
    problems: list[Problem] = field(default_factory=list)

    @property
    def first_broken(self) -> int | None:
        return min((p.seq for p in self.problems), default=None)

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"first_broken": self.first_broken}

    def fail(self, seq: int, code: str, message: str) -> None:
        assert code in PROBLEMS, code
        self.ok = False
        self.problems.append(Problem(seq, code, message))


def _signed(public_key: Ed25519PublicKey, checkpoint: Mapping[str, Any]) -> bool:
    try:
        signature = base64.b64decode(str(checkpoint.get("signature", "")))
        public_key.verify(signature, chain.statement(checkpoint))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify(
    conn: Connection,
    public_key: Ed25519PublicKey,
    *,
    every: int | None = None,
    known: Iterable[Mapping[str, Any]] = (),
    batch: int = 20_000,
    archive_dir: Path | None = None,
) -> VerifyReport:
    """Recompute every hash in seq order; check the checkpoints against the chain, the key and
    their signed policy, and the ``known`` checkpoints (published, held by a witness) too.

    ``every``: the policy expected of a log none of whose checkpoints states one.
    ``archive_dir``: the folder of the archive files, recomputed too; without it the chain goes
    on from each archived stretch's recorded last hash, which a signed checkpoint must hold.
    """
    report = VerifyReport()
    # The head first: entries appended while verify runs lie beyond it and are not mistaken
    # for an unsigned tail (each statement sees committed entries, which are never changed).
    head = conn.execute(select(chain.head).where(chain.head.c.id == 1)).first()
    known = [dict(k) for k in known]
    rows = [dict(r._mapping) for r in conn.execute(select(chain.checkpoints).order_by("seq"))]
    hashes_at: dict[int, str] = {}
    marks = {int(r["seq"]) for r in rows} | {int(k["seq"]) for k in known if "seq" in k}
    stretches = archived(conn)
    start = _archived(report, stretches, marks, hashes_at, archive_dir)
    last = _entries(conn, report, marks, hashes_at, batch, start)
    latest = _checkpoints(report, public_key, rows, hashes_at, last, start[0])
    stored = {int(r["seq"]) for r in rows}
    for stretch in stretches:
        if int(stretch["last_seq"]) not in stored:
            report.fail(
                int(stretch["last_seq"]),
                "archive-unanchored",
                f"no signed checkpoint holds entry {stretch['last_seq']}, the end of an "
                "archived stretch",
            )
    end = last if head is None else min(last, int(head.seq))
    _tail(report, latest, end, latest.get("every") or every)
    _known(report, public_key, known, rows, hashes_at, last, start[0])
    if head is not None and report.ok and int(head.seq) > last:
        report.fail(
            last + 1,
            "entries-truncated",
            f"the head is at entry {head.seq} but the log ends at {last}",
        )
    report.problems.sort(key=lambda p: p.seq)
    return report


def _archived(
    report: VerifyReport,
    stretches: list[dict[str, Any]],
    marks: set[int],
    hashes_at: dict[int, str],
    folder: Path | None,
) -> tuple[int, str]:
    """Where the online chain starts (its first seq, the hash before it) after the archived
    stretches; with ``folder``, each archive file is recomputed on the way."""
    expected, previous = 1, chain.GENESIS
    for stretch in stretches:
        first, end = int(stretch["first_seq"]), int(stretch["last_seq"])
        if first != expected:
            report.fail(expected, "archive-gap", f"archived stretches skip entries {expected}..")
        report.archived_entries += int(stretch["entries"])
        if folder is not None:
            _archive_file(
                report, folder / str(stretch["file"]), stretch, previous, marks, hashes_at
            )
        hashes_at[end] = str(stretch["last_hash"])
        expected, previous = end + 1, str(stretch["last_hash"])
    return expected, previous


def _archive_file(
    report: VerifyReport,
    path: Path,
    stretch: Mapping[str, Any],
    previous: str,
    marks: set[int],
    hashes_at: dict[int, str],
) -> None:
    first, end = int(stretch["first_seq"]), int(stretch["last_seq"])
    if not path.is_file() or file_sha256(path) != stretch["sha256"]:
        report.fail(first, "archive-file-mismatch", f"{path.name} is missing or was changed")
        return
    expected = first
    for seq, stored, body in read_archive(path):
        computed = chain.chain_hash(previous, body)
        if seq != expected or computed != stored:
            report.fail(seq, "archive-file-mismatch", f"entry {seq} of {path.name} does not chain")
            return
        if seq in marks:
            hashes_at[seq] = stored
        previous, expected = computed, seq + 1
    if expected != end + 1 or previous != stretch["last_hash"]:
        report.fail(first, "archive-file-mismatch", f"{path.name} does not end at entry {end}")
        return
    report.archive_files_checked += 1


def _entries(
    conn: Connection,
    report: VerifyReport,
    marks: set[int],
    hashes_at: dict[int, str],
    batch: int,
    start: tuple[int, str] = (1, chain.GENESIS),
) -> int:
    expected, previous = start
    stmt = select(chain.entries.c.seq, chain.entries.c.body, chain.entries.c.hash).order_by(
        chain.entries.c.seq
    )
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
    for seq, body, stored in result:
        if report.ok:
            broken = check_entry(expected, previous, seq, body, stored)
            if broken is not None:
                report.fail(*broken)
            if broken is None or broken[1] == "hash-mismatch":
                previous = chain.chain_hash(previous, body)
        if seq in marks:
            hashes_at[seq] = stored
        expected = seq + 1
        report.entries += 1
    return expected - 1


def check_entry(
    expected: int, previous: str, seq: int, body: str, stored: str
) -> tuple[int, str, str] | None:
    """The problem ``(seq, code, message)`` with entry ``seq`` when entry ``expected`` should
    follow the hash ``previous``, or None when it does."""
    if seq != expected:
        return expected, "entry-missing", f"entries {expected}..{seq - 1} are missing"
    if not (f'"seq":{seq},' in body or body.endswith(f'"seq":{seq}}}')):
        return seq, "entry-moved", f"entry {seq} does not carry its own number"
    if chain.chain_hash(previous, body) != stored:
        return seq, "hash-mismatch", f"entry {seq} was altered, inserted or moved"
    return None


def verify_after(
    conn: Connection, *, seq: int, hash_: str, limit: int = 20_000
) -> tuple[int, str, tuple[int, str, str] | None]:
    """Verify up to ``limit`` entries after entry ``seq`` whose hash was ``hash_`` (the
    background verifier's step): the last entry verified, its hash, and the first problem."""
    stmt = (
        select(chain.entries.c.seq, chain.entries.c.body, chain.entries.c.hash)
        .where(chain.entries.c.seq > seq)
        .order_by(chain.entries.c.seq)
        .limit(limit)
    )
    for got, body, stored in conn.execute(stmt):
        broken = check_entry(seq + 1, hash_, got, body, stored)
        if broken is not None:
            return seq, hash_, broken
        seq, hash_ = got, stored
    return seq, hash_, None


def _checkpoints(
    report: VerifyReport,
    public_key: Ed25519PublicKey,
    rows: list[dict[str, Any]],
    hashes_at: dict[int, str],
    last: int,
    online: int = 1,
) -> dict[str, Any]:
    """Check each stored checkpoint; return the last one validly signed (or the genesis).
    A checkpoint inside an archived stretch (before ``online``) is held to the chain only when
    its archive file was recomputed."""
    before: dict[str, Any] = {"seq": 0}
    for cp in rows:
        seq = int(cp["seq"])
        report.checkpoints += 1
        if not _signed(public_key, cp):
            report.fail(
                seq,
                "bad-checkpoint-signature",
                f"checkpoint at entry {seq} is not signed by the audit key",
            )
            continue
        if seq > last:
            report.fail(
                last + 1,
                "entries-truncated",
                f"checkpoint at entry {seq} but the log ends at {last}",
            )
        elif (seq >= online or seq in hashes_at) and hashes_at.get(seq) != cp["hash"]:
            report.fail(
                seq,
                "checkpoint-mismatch",
                f"entries up to {seq} differ from what checkpoint {seq} signed",
            )
        _follows(report, before, cp)
        before = cp
    return before


def _follows(report: VerifyReport, before: Mapping[str, Any], cp: Mapping[str, Any]) -> None:
    """The signed policy between two consecutive checkpoints."""
    if cp.get("every") is None:
        return  # signed before checkpoints stated their policy
    seq, prev = int(cp["seq"]), int(before["seq"])
    if int(cp["prev"]) > prev:
        report.fail(
            int(cp["prev"]),
            "checkpoint-missing",
            f"checkpoint {seq} follows checkpoint {cp['prev']}, which is missing",
        )
    # A policy governs the entries after the checkpoint that states it (a change is signed at
    # the first entry it applies to).
    limit = int(before.get("every") or cp["every"])
    if int(cp["prev"]) <= prev and seq - prev > limit:
        report.fail(
            prev + limit,
            "checkpoint-missing",
            f"no checkpoint within {limit} entries after entry {prev} (the next is at {seq})",
        )
    if "at" in before and str(cp["at"]) < str(before["at"]):
        report.fail(
            seq,
            "checkpoint-time-regressed",
            f"checkpoint {seq} is dated {cp['at']}, before checkpoint {prev} ({before['at']})",
        )


def _tail(report: VerifyReport, latest: Mapping[str, Any], last: int, every: int | None) -> None:
    signed = min(int(latest["seq"]), last)
    report.unsigned_tail = last - signed
    if every is not None and last - signed >= every:
        report.fail(
            signed + every,
            "checkpoint-missing",
            f"entries {signed + 1}..{last} carry no checkpoint; the policy requires one "
            f"every {every} entries",
        )


def _known(
    report: VerifyReport,
    public_key: Ed25519PublicKey,
    known: Sequence[Mapping[str, Any]],
    rows: list[dict[str, Any]],
    hashes_at: dict[int, str],
    last: int,
    online: int = 1,
) -> None:
    """The log must extend each checkpoint held outside it, and still hold the checkpoint."""
    stored = {int(r["seq"]): r for r in rows}
    for cp in known:
        report.known_checkpoints += 1
        seq = int(cp.get("seq", 0))
        if not _signed(public_key, cp):
            report.fail(
                seq,
                "bad-checkpoint-signature",
                f"the checkpoint held outside at entry {seq} is not signed by the audit key",
            )
        elif seq > last:
            report.fail(
                last + 1,
                "entries-truncated",
                f"a checkpoint held outside is at entry {seq} but the log ends at {last}",
            )
        elif (seq >= online or seq in hashes_at) and hashes_at.get(seq) != cp.get("hash"):
            report.fail(
                seq,
                "known-checkpoint-mismatch",
                f"the log up to entry {seq} differs from the checkpoint held outside",
            )
        elif seq not in stored:
            report.fail(
                seq, "checkpoint-missing", f"checkpoint {seq}, held outside, is not in the database"
            )


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
            out.write(json.dumps(chain.published(cp)) + "\n")
            checkpoints += 1
    (folder / "audit-public-key.pem").write_bytes(public_pem(public_key))
    return {"entries": count, "checkpoints": checkpoints}


def status(conn: Connection, public_key: Ed25519PublicKey) -> dict[str, Any]:
    """What the log says of itself without a full verification: its last entry, its latest
    checkpoint and whether the audit key signed it, and how many entries no checkpoint signs
    yet. A full verification is ``lienthong audit verify``."""
    head = conn.execute(select(chain.head).where(chain.head.c.id == 1)).first()
    last = conn.execute(
        select(chain.checkpoints).order_by(chain.checkpoints.c.seq.desc()).limit(1)
    ).first()
    checkpoint = chain.published(last) if last is not None else None
    entries = int(head.seq) if head is not None else 0
    return {
        "entries": entries,
        "checkpoint": checkpoint,
        "signed": checkpoint is not None and _signed(public_key, checkpoint),
        "unsigned_tail": entries - (int(checkpoint["seq"]) if checkpoint else 0),
    }
