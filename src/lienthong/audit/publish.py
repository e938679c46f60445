"""Checkpoints leave the database: an append-only file, and what a witness polls.

Each signed checkpoint is appended, once committed, to ``LIENTHONG_AUDIT_CHECKPOINT_FILE``
(default ``data_dir/audit-checkpoints.jsonl``) as one JSON line (its statement, ``key_id`` and
``signature``) and fsync'd; and served at ``GET /api/v1/audit/checkpoints[/latest]``. A copy
kept elsewhere (by a witness, an auditor, a backup) lets ``lienthong audit verify`` prove that
the log still extends it, even against someone who can write the database. Several processes
append to one file in turn under an OS file lock, each line once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from lienthong.audit import chain
from lienthong.audit.models import AuditCheckpoint
from lienthong.config import Settings
from lienthong.errors import ValidationFailed
from lienthong.paging import PageRequest, keyset_page

log = logging.getLogger("lienthong.audit")
TAIL_BYTES = 16_384  # far more than one line


def published_path(settings: Settings) -> Path:
    return settings.audit_checkpoint_file or settings.data_dir / "audit-checkpoints.jsonl"


def read_published(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a published file (a torn last line is not a checkpoint)."""
    if not path.exists():
        return []
    lines = path.read_text("utf-8").splitlines(keepends=True)
    return [_checkpoint(line, str(path)) for line in lines if line.endswith("\n")]


def _checkpoint(text: str, source: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    fields = {"seq": int, "hash": str, "signature": str}
    if not isinstance(value, dict) or any(
        not isinstance(value.get(k), t) for k, t in fields.items()
    ):
        raise ValidationFailed.on(
            "checkpoint",
            "invalid-checkpoint",
            f"{source[:200]}: not a checkpoint (a JSON object with seq, hash, at, signature)",
        )
    return value


class Publisher:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.last: int | None = None  # the file's last seq, once read

    def pending(self, conn: Connection) -> list[dict[str, Any]]:
        """Checkpoints in the database newer than the file's last line (as this process knows);
        none until :meth:`publish` has read the file, so a file problem never fails a commit."""
        if self.last is None:
            return []
        stmt = select(chain.checkpoints).where(chain.checkpoints.c.seq > self.last)
        return [chain.published(r) for r in conn.execute(stmt.order_by(chain.checkpoints.c.seq))]

    def write(self, checkpoints: list[dict[str, Any]]) -> int:
        """Append the committed ``checkpoints`` the file lacks; fsync. How many were appended."""
        if not checkpoints:
            return 0
        with self._locked() as handle:
            last = _last_seq(handle)
            lines = [json.dumps(c) + "\n" for c in checkpoints if int(c["seq"]) > last]
            if lines:
                handle.write("".join(lines).encode())
                handle.flush()
                os.fsync(handle.fileno())
            self.last = max(last, int(checkpoints[-1]["seq"]))
        return len(lines)

    def publish(self, engine: Engine) -> int:
        if self.last is None:
            with self._locked() as handle:
                self.last = _last_seq(handle)
        with engine.connect() as conn:
            found = self.pending(conn)
        return self.write(found)

    @contextmanager
    def _locked(self) -> Iterator[IO[bytes]]:
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if created:  # the new name must survive a power loss too
                    directory = os.open(self.path.parent, os.O_RDONLY)
                    try:
                        os.fsync(directory)
                    finally:
                        os.close(directory)
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _last_seq(handle: IO[bytes]) -> int:
    """The seq of the file's last complete line; a torn line left by a crash is cut off."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return 0
    start = max(0, size - TAIL_BYTES)
    handle.seek(start)
    tail = handle.read()
    end = tail.rfind(b"\n")
    if end != len(tail) - 1:
        log.warning("cutting a torn last line off %s", handle.name)
        handle.truncate(start + end + 1)
    complete = tail[: end + 1].splitlines()
    return int(json.loads(complete[-1])["seq"]) if complete else 0


def latest_checkpoint(*, session: Session) -> dict[str, Any] | None:
    stmt = select(chain.checkpoints).order_by(chain.checkpoints.c.seq.desc()).limit(1)
    row = session.execute(stmt).first()
    return chain.published(row) if row is not None else None


def checkpoint_page(
    *, session: Session, page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Checkpoints in seq order, as published (keyset on seq)."""
    rows, nxt = keyset_page(
        session,
        select(AuditCheckpoint),
        keys=[AuditCheckpoint.seq],
        page=page,
        scope=("audit-checkpoints",),
    )
    return [chain.published(r) for r in rows], nxt


def parse_known(text: str) -> list[dict[str, Any]]:
    """Checkpoints given to verify: a JSON object, or a file of them one a line."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return [_checkpoint(stripped, "the checkpoint given")]
    path = Path(text)
    if not path.is_file():
        raise ValidationFailed.on("checkpoint", "invalid-checkpoint", f"no file {text[:200]}")
    return read_published(path)
